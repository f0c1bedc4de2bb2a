-- 0007_team_external_id: the platform's own id of a team.
--
-- A platform that makes teams through the platform API names each with the
-- id its own system knows it by, and finds it again by that id. NULL when
-- none (every team made before, and every team made by a signup); unique
-- when set.
ALTER TABLE teams ADD COLUMN external_id TEXT CHECK (external_id <> '');
CREATE UNIQUE INDEX teams_external_id ON teams (external_id) WHERE external_id IS NOT NULL;
