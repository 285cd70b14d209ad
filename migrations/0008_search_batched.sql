-- Search indexing in batches, for bulk imports (src/db/search.ts).
--
-- FTS5 writes its pending terms to disk as a new segment at the start of every statement that
-- writes it (each statement opens a savepoint, and FTS5's xSavepoint flushes). Through the
-- per-row triggers of 0001 that is one segment per article, merged again and again: about 250 µs
-- of CPU per 3 KB article, against about 60 µs when one INSERT ... SELECT indexes a whole batch.
--
-- So a writer may defer the index for the length of its transaction: while
-- `articles_fts_deferred` holds its one row, the triggers only note in `articles_fts_pending`
-- which rows need indexing (and, for a row already in the index, the values it was indexed
-- with, which an external-content FTS5 delete needs); the writer then indexes them all in one
-- statement and deletes the row before it commits. Other connections never see the flag set.
-- Without it, the triggers behave as before, except that an UPDATE which leaves the indexed
-- columns as they were no longer deletes and re-inserts the row in the index.
CREATE TABLE `articles_fts_deferred` (
	`id` integer PRIMARY KEY NOT NULL CHECK (`id` = 1)
);
--> statement-breakpoint
-- indexed = 1: the index holds this row with the values below (to delete first); 0: not yet indexed.
CREATE TABLE `articles_fts_pending` (
	`doc_id` integer PRIMARY KEY NOT NULL,
	`indexed` integer NOT NULL,
	`headline` text,
	`summary` text,
	`body_text` text
);
--> statement-breakpoint
DROP TRIGGER `articles_fts_insert`;
--> statement-breakpoint
DROP TRIGGER `articles_fts_delete`;
--> statement-breakpoint
DROP TRIGGER `articles_fts_update`;
--> statement-breakpoint
CREATE TRIGGER `articles_fts_insert` AFTER INSERT ON `articles`
WHEN NOT EXISTS (SELECT 1 FROM articles_fts_deferred) BEGIN
	INSERT INTO articles_fts(rowid, headline, summary, body_text) VALUES (new.doc_id, new.headline, new.summary, new.body_text);
END;
--> statement-breakpoint
CREATE TRIGGER `articles_fts_delete` AFTER DELETE ON `articles`
WHEN NOT EXISTS (SELECT 1 FROM articles_fts_deferred) BEGIN
	INSERT INTO articles_fts(articles_fts, rowid, headline, summary, body_text) VALUES ('delete', old.doc_id, old.headline, old.summary, old.body_text);
END;
--> statement-breakpoint
CREATE TRIGGER `articles_fts_update` AFTER UPDATE OF headline, summary, body_text ON `articles`
WHEN (old.headline IS NOT new.headline OR old.summary IS NOT new.summary OR old.body_text IS NOT new.body_text)
	AND NOT EXISTS (SELECT 1 FROM articles_fts_deferred) BEGIN
	INSERT INTO articles_fts(articles_fts, rowid, headline, summary, body_text) VALUES ('delete', old.doc_id, old.headline, old.summary, old.body_text);
	INSERT INTO articles_fts(rowid, headline, summary, body_text) VALUES (new.doc_id, new.headline, new.summary, new.body_text);
END;
--> statement-breakpoint
-- Deferred: OR IGNORE keeps the first note of a row in the transaction, which is what the index holds.
CREATE TRIGGER `articles_fts_insert_deferred` AFTER INSERT ON `articles`
WHEN EXISTS (SELECT 1 FROM articles_fts_deferred) BEGIN
	INSERT OR IGNORE INTO articles_fts_pending(doc_id, indexed) VALUES (new.doc_id, 0);
END;
--> statement-breakpoint
CREATE TRIGGER `articles_fts_delete_deferred` AFTER DELETE ON `articles`
WHEN EXISTS (SELECT 1 FROM articles_fts_deferred) BEGIN
	INSERT OR IGNORE INTO articles_fts_pending(doc_id, indexed, headline, summary, body_text) VALUES (old.doc_id, 1, old.headline, old.summary, old.body_text);
END;
--> statement-breakpoint
CREATE TRIGGER `articles_fts_update_deferred` AFTER UPDATE OF headline, summary, body_text ON `articles`
WHEN (old.headline IS NOT new.headline OR old.summary IS NOT new.summary OR old.body_text IS NOT new.body_text)
	AND EXISTS (SELECT 1 FROM articles_fts_deferred) BEGIN
	INSERT OR IGNORE INTO articles_fts_pending(doc_id, indexed, headline, summary, body_text) VALUES (old.doc_id, 1, old.headline, old.summary, old.body_text);
END;
