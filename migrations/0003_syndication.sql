CREATE TABLE `article_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`article_id` text NOT NULL,
	`type` text NOT NULL,
	`reason` text,
	`version` integer NOT NULL,
	`effective_at` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `article_events_feed_idx` ON `article_events` (`effective_at`,`seq`);--> statement-breakpoint
CREATE INDEX `article_events_article_idx` ON `article_events` (`article_id`,`effective_at`,`seq`);--> statement-breakpoint
ALTER TABLE `api_keys` ADD `rate_limit_max` integer;--> statement-breakpoint
ALTER TABLE `articles` ADD `external_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `articles_external_id_unique` ON `articles` (`external_id`);