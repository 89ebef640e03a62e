-- Reserved for the classes module (issue #14), built in parallel. Migration numbers must have no gaps, so this
-- branch carries an empty placeholder; the lead drops it when the classes' real 0013 is merged.
SELECT 1;
