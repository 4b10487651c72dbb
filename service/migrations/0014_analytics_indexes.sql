-- An institution's enrollments per month and course (GET /institutions/:id/analytics/popular-courses) read
-- each of its courses' enrollments in the months asked for, not every enrollment ever made: without it the
-- route scanned the whole table, whose years of history it mostly does not need.
create index enrollments_course_created on enrollments (course_id, created_at);
