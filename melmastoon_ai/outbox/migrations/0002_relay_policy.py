"""The relay's narrow RLS policy: with `app.outbox_relay` on (tenancy.context.outbox_relay_access)
the relay reads the outbox of every tenant and updates its pending events, and reaches no other
table; it no longer goes through the audited `platform_access` path every 2 s.

The read policy cannot be limited to pending rows: PostgreSQL checks the *new* row of an UPDATE
whose WHERE reads the table against the SELECT policies too, and a published row is no longer
pending."""

from django.db import migrations

RELAY = "current_setting('app.outbox_relay', true) = 'on'"
PENDING = "published_at IS NULL AND parked_at IS NULL"

class Migration(migrations.Migration):
    dependencies = [("outbox", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql=[
                f'CREATE POLICY "outbox_outboxevent_relay_read" ON outbox_outboxevent FOR SELECT '
                f"USING ({RELAY})",
                # USING picks the rows the relay may update (pending ones); WITH CHECK lets the
                # update mark them published or parked.
                f'CREATE POLICY "outbox_outboxevent_relay_update" ON outbox_outboxevent FOR UPDATE '
                f"USING ({RELAY} AND {PENDING}) WITH CHECK ({RELAY})",
            ],
            reverse_sql=[
                'DROP POLICY IF EXISTS "outbox_outboxevent_relay_read" ON outbox_outboxevent',
                'DROP POLICY IF EXISTS "outbox_outboxevent_relay_update" ON outbox_outboxevent',
            ],
        ),
    ]
