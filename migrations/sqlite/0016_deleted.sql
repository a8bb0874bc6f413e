-- Posts their author deleted, or the platform removed (#17): the mention stays (its keys
-- keep it from coming back, its figures count where they counted), with its personal
-- data erased and `deleted_at` set; it leaves every list, the page and the digest.
ALTER TABLE mentions ADD COLUMN deleted_at BIGINT;
