-- Reserved for the data lifecycle (issue 10); filled in this session.
SELECT 1;
