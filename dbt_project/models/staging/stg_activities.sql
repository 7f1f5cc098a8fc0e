-- Current version of each (conducting unit, activity); the channel follows the activity type.
{{ staged_activities() }}
