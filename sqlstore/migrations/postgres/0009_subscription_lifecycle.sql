-- Reserved for the subscriptions lifecycle (issue 9); filled in this session.
SELECT 1;
