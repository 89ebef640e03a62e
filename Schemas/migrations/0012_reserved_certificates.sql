-- Reserved for the certificates module (issue #13), built in parallel. Migration numbers must have no gaps, so
-- this branch carries an empty placeholder; the lead drops it when the certificates' real 0012 is merged.
SELECT 1;
