-- The service plan whose loss disconnected a user's mailbox, and the one
-- whose loss left its files without a license (allot.UserData's
-- MailboxPlanID, FilesPlanID): user.assignedPlans shows them as Deleted
-- while the data lasts. '' when none.
ALTER TABLE user_data ADD COLUMN mailbox_plan_id TEXT NOT NULL DEFAULT '';
ALTER TABLE user_data ADD COLUMN files_plan_id TEXT NOT NULL DEFAULT '';
