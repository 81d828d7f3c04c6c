"""The database, not only code, keeps the prompt lifecycle honest.

* status moves only along draft > active > deprecated > retired (plus draft > retired,
  deprecated > active for a rollback promotion);
* a version's text, variables and parameters are immutable once it leaves draft;
* exactly one active version per prompt is the partial unique index of migration 0001.
"""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION prompts_version_guard() RETURNS trigger AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND (OLD.status, NEW.status) NOT IN (
        ('draft', 'active'), ('draft', 'retired'), ('active', 'deprecated'),
        ('deprecated', 'active'), ('deprecated', 'retired')
    ) THEN
        RAISE EXCEPTION 'prompt version % cannot go from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.status <> 'draft' AND (
        NEW.version, NEW.system_template, NEW.user_template, NEW.variables, NEW.model_parameters, NEW.prompt_id
    ) IS DISTINCT FROM (
        OLD.version, OLD.system_template, OLD.user_template, OLD.variables, OLD.model_parameters, OLD.prompt_id
    ) THEN
        RAISE EXCEPTION 'prompt version % is %: its text and parameters are immutable', OLD.id, OLD.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER prompts_version_guard BEFORE UPDATE ON prompts_promptversion
FOR EACH ROW EXECUTE FUNCTION prompts_version_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS prompts_version_guard ON prompts_promptversion;
DROP FUNCTION IF EXISTS prompts_version_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("prompts", "0001_initial")]
    operations = [migrations.RunSQL(GUARD, DROP)]
