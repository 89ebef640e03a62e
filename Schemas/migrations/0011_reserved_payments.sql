-- Reserved for the payments module (issue #12), built in parallel. Migration numbers must have no gaps, so this
-- branch carries an empty placeholder; the lead drops it when the payments' real 0011 is merged.
SELECT 1;
