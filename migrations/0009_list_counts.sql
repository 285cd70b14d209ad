CREATE TABLE `list_counts` (
	`facet` text NOT NULL,
	`key` text NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`facet`, `key`)
);
--> statement-breakpoint
-- Kept by the triggers below: how many articles are listable (published, not deleted) in all,
-- per tag, per source and per month, so the public list's facets and total need no count of
-- every row (a million articles took seconds). Rows at 0 stay; readers skip them.
INSERT INTO `list_counts` (`facet`, `key`, `n`)
	SELECT 'all', '', count(*) FROM `articles` WHERE `status` = 'published' AND `deleted_at` IS NULL;
--> statement-breakpoint
INSERT INTO `list_counts` (`facet`, `key`, `n`)
	SELECT 'source', `source_id`, count(*) FROM `articles`
	WHERE `status` = 'published' AND `deleted_at` IS NULL AND `source_id` IS NOT NULL GROUP BY `source_id`;
--> statement-breakpoint
INSERT INTO `list_counts` (`facet`, `key`, `n`)
	SELECT 'month', strftime('%Y-%m', `sort_at` / 1000, 'unixepoch') AS `month`, count(*) FROM `articles`
	WHERE `status` = 'published' AND `deleted_at` IS NULL GROUP BY `month`;
--> statement-breakpoint
INSERT INTO `list_counts` (`facet`, `key`, `n`)
	SELECT 'tag', `at`.`tag_id`, count(*) FROM `article_tags` AS `at` JOIN `articles` AS `a` ON `a`.`id` = `at`.`article_id`
	WHERE `a`.`status` = 'published' AND `a`.`deleted_at` IS NULL GROUP BY `at`.`tag_id`;
--> statement-breakpoint
-- A new listable article counts in all, its source and its month; its tags come after it.
CREATE TRIGGER `list_counts_article_insert` AFTER INSERT ON `articles`
WHEN new.`status` = 'published' AND new.`deleted_at` IS NULL
BEGIN
	INSERT INTO `list_counts` VALUES ('all', '', 1) ON CONFLICT DO UPDATE SET `n` = `n` + 1;
	INSERT INTO `list_counts` SELECT 'source', new.`source_id`, 1 WHERE new.`source_id` IS NOT NULL ON CONFLICT DO UPDATE SET `n` = `n` + 1;
	INSERT INTO `list_counts` VALUES ('month', strftime('%Y-%m', new.`sort_at` / 1000, 'unixepoch'), 1) ON CONFLICT DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
-- An update that takes a listable article out, or moves its source or month: its old place goes.
CREATE TRIGGER `list_counts_article_leave` AFTER UPDATE ON `articles`
WHEN old.`status` = 'published' AND old.`deleted_at` IS NULL
	AND (new.`status` IS NOT 'published' OR new.`deleted_at` IS NOT NULL OR new.`source_id` IS NOT old.`source_id` OR new.`sort_at` IS NOT old.`sort_at`)
BEGIN
	UPDATE `list_counts` SET `n` = `n` - 1 WHERE `facet` = 'all' AND `key` = '';
	UPDATE `list_counts` SET `n` = `n` - 1 WHERE `facet` = 'source' AND `key` = old.`source_id`;
	UPDATE `list_counts` SET `n` = `n` - 1 WHERE `facet` = 'month' AND `key` = strftime('%Y-%m', old.`sort_at` / 1000, 'unixepoch');
	UPDATE `list_counts` SET `n` = `n` - 1 WHERE `facet` = 'tag' AND `key` IN (SELECT `tag_id` FROM `article_tags` WHERE `article_id` = old.`id`);
END;
--> statement-breakpoint
-- An update that makes an article listable, or moves a listable one: its new place counts.
CREATE TRIGGER `list_counts_article_enter` AFTER UPDATE ON `articles`
WHEN new.`status` = 'published' AND new.`deleted_at` IS NULL
	AND (old.`status` IS NOT 'published' OR old.`deleted_at` IS NOT NULL OR new.`source_id` IS NOT old.`source_id` OR new.`sort_at` IS NOT old.`sort_at`)
BEGIN
	INSERT INTO `list_counts` VALUES ('all', '', 1) ON CONFLICT DO UPDATE SET `n` = `n` + 1;
	INSERT INTO `list_counts` SELECT 'source', new.`source_id`, 1 WHERE new.`source_id` IS NOT NULL ON CONFLICT DO UPDATE SET `n` = `n` + 1;
	INSERT INTO `list_counts` VALUES ('month', strftime('%Y-%m', new.`sort_at` / 1000, 'unixepoch'), 1) ON CONFLICT DO UPDATE SET `n` = `n` + 1;
	INSERT INTO `list_counts` SELECT 'tag', `tag_id`, 1 FROM `article_tags` WHERE `article_id` = new.`id` ON CONFLICT DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
-- Before a purge, while the article's tags are still there (the cascade removes them after).
CREATE TRIGGER `list_counts_article_delete` BEFORE DELETE ON `articles`
WHEN old.`status` = 'published' AND old.`deleted_at` IS NULL
BEGIN
	UPDATE `list_counts` SET `n` = `n` - 1 WHERE `facet` = 'all' AND `key` = '';
	UPDATE `list_counts` SET `n` = `n` - 1 WHERE `facet` = 'source' AND `key` = old.`source_id`;
	UPDATE `list_counts` SET `n` = `n` - 1 WHERE `facet` = 'month' AND `key` = strftime('%Y-%m', old.`sort_at` / 1000, 'unixepoch');
	UPDATE `list_counts` SET `n` = `n` - 1 WHERE `facet` = 'tag' AND `key` IN (SELECT `tag_id` FROM `article_tags` WHERE `article_id` = old.`id`);
END;
--> statement-breakpoint
CREATE TRIGGER `list_counts_tag_add` AFTER INSERT ON `article_tags`
WHEN EXISTS (SELECT 1 FROM `articles` WHERE `id` = new.`article_id` AND `status` = 'published' AND `deleted_at` IS NULL)
BEGIN
	INSERT INTO `list_counts` VALUES ('tag', new.`tag_id`, 1) ON CONFLICT DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
-- Also when a purge's cascade removes the tags: the article is gone by then, so nothing counts twice.
CREATE TRIGGER `list_counts_tag_remove` AFTER DELETE ON `article_tags`
WHEN EXISTS (SELECT 1 FROM `articles` WHERE `id` = old.`article_id` AND `status` = 'published' AND `deleted_at` IS NULL)
BEGIN
	UPDATE `list_counts` SET `n` = `n` - 1 WHERE `facet` = 'tag' AND `key` = old.`tag_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `list_counts_tag_move` AFTER UPDATE ON `article_tags`
BEGIN
	UPDATE `list_counts` SET `n` = `n` - 1 WHERE `facet` = 'tag' AND `key` = old.`tag_id`
		AND EXISTS (SELECT 1 FROM `articles` WHERE `id` = old.`article_id` AND `status` = 'published' AND `deleted_at` IS NULL);
	INSERT INTO `list_counts` SELECT 'tag', new.`tag_id`, 1
		WHERE EXISTS (SELECT 1 FROM `articles` WHERE `id` = new.`article_id` AND `status` = 'published' AND `deleted_at` IS NULL)
		ON CONFLICT DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `list_counts_tag_gone` AFTER DELETE ON `tags`
BEGIN
	DELETE FROM `list_counts` WHERE `facet` = 'tag' AND `key` = old.`id`;
END;
