-- Whether the hardship behind an offer was proven, so that a re-quote offers the same waivers.
-- depends: 0001.projections-offers-plans

ALTER TABLE offers ADD COLUMN evidence_verified boolean NOT NULL DEFAULT false;
