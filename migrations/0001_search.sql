-- Full-text search over articles: FTS5 with English stemming (porter) on Unicode-aware,
-- case- and diacritics-insensitive tokens. External content: the index reads its text from
-- the articles table (no second copy of bodies); triggers keep it exactly in step.
CREATE VIRTUAL TABLE `articles_fts` USING fts5(
	headline, summary, body_text,
	content='articles', content_rowid='doc_id',
	tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `articles_fts_insert` AFTER INSERT ON `articles` BEGIN
	INSERT INTO articles_fts(rowid, headline, summary, body_text) VALUES (new.doc_id, new.headline, new.summary, new.body_text);
END;
--> statement-breakpoint
CREATE TRIGGER `articles_fts_delete` AFTER DELETE ON `articles` BEGIN
	INSERT INTO articles_fts(articles_fts, rowid, headline, summary, body_text) VALUES ('delete', old.doc_id, old.headline, old.summary, old.body_text);
END;
--> statement-breakpoint
CREATE TRIGGER `articles_fts_update` AFTER UPDATE OF headline, summary, body_text ON `articles` BEGIN
	INSERT INTO articles_fts(articles_fts, rowid, headline, summary, body_text) VALUES ('delete', old.doc_id, old.headline, old.summary, old.body_text);
	INSERT INTO articles_fts(rowid, headline, summary, body_text) VALUES (new.doc_id, new.headline, new.summary, new.body_text);
END;
--> statement-breakpoint
-- Index whatever articles already exist.
INSERT INTO articles_fts(articles_fts) VALUES ('rebuild');
