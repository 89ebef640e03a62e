-- Reserved for the KPI module (issue #11), built in parallel. Migration numbers must have no gaps, so this
-- branch carries an empty placeholder; the lead drops it when the KPI's real 0010 is merged.
SELECT 1;
