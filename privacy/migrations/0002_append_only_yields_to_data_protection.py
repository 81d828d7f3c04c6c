"""The append-only triggers of HITL decisions and routing decisions let one path through: a
transaction that set `app.data_protection` to `on` (privacy.services.data_protection_writes),
which a data subject's erasure (scrubbing a decision's edit and comment) and a tenant's offboarding
(deleting its rows) set, and nothing else does."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
    IF current_setting('app.data_protection', true) = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""
STRICT = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""
TRIGGERS = (("hitl_decision_append_only", "HITL decisions are append-only"),
            ("routing_decision_append_only", "routing decisions are append-only"))


class Migration(migrations.Migration):

    dependencies = [
        ("privacy", "0001_initial"),
        ("hitl", "0006_gate_guest_names"),
        ("routing", "0003_decision_trail"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION.format(name=name, message=message), STRICT.format(name=name, message=message))
        for name, message in TRIGGERS
    ]
