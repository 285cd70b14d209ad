-- Lists of one byline or one language on indexes of their own, as 0010 did for one source
-- (src/db/schema.ts). Indexes only: no data is touched.
CREATE INDEX `articles_byline_list_idx` ON `articles` (`byline`,`status`,`sort_at`,`id`,`deleted_at`,`embargoed_until`);--> statement-breakpoint
CREATE INDEX `articles_language_list_idx` ON `articles` (`language`,`status`,`sort_at`,`id`,`deleted_at`,`embargoed_until`);