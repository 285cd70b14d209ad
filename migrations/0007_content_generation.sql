-- What the response cache (src/http/response-cache.ts) needs to know that public content
-- changed: a count of committed writes to articles, tags and sources, kept by triggers so that
-- every writer (each worker, the CLI) moves it on, and an index to find the next embargo end.
CREATE TABLE `content_generation` (
	`id` integer PRIMARY KEY NOT NULL,
	`n` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `articles_embargo_idx` ON `articles` (`embargoed_until`) WHERE "articles"."embargoed_until" is not null;
--> statement-breakpoint
-- The count starts at 0; every committed write to the content tables adds one (any process).
INSERT INTO `content_generation` (`id`, `n`) VALUES (1, 0);
--> statement-breakpoint
CREATE TRIGGER `articles_generation_insert` AFTER INSERT ON `articles` BEGIN UPDATE `content_generation` SET `n` = `n` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `articles_generation_update` AFTER UPDATE ON `articles` BEGIN UPDATE `content_generation` SET `n` = `n` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `articles_generation_delete` AFTER DELETE ON `articles` BEGIN UPDATE `content_generation` SET `n` = `n` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `tags_generation_insert` AFTER INSERT ON `tags` BEGIN UPDATE `content_generation` SET `n` = `n` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `tags_generation_update` AFTER UPDATE ON `tags` BEGIN UPDATE `content_generation` SET `n` = `n` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `tags_generation_delete` AFTER DELETE ON `tags` BEGIN UPDATE `content_generation` SET `n` = `n` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `sources_generation_insert` AFTER INSERT ON `sources` BEGIN UPDATE `content_generation` SET `n` = `n` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `sources_generation_update` AFTER UPDATE ON `sources` BEGIN UPDATE `content_generation` SET `n` = `n` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `sources_generation_delete` AFTER DELETE ON `sources` BEGIN UPDATE `content_generation` SET `n` = `n` + 1 WHERE `id` = 1; END;
