-- Current version of each (deciding unit, decision, member); revoked rows are kept and flagged.
{{ staged_member_disciplines() }}
