-- Current version of each (deciding unit, decision, target organisation).
{{ staged_org_disciplines() }}
