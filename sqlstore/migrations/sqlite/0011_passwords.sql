-- Reserved for passwords (issue 11); filled in this session.
SELECT 1;
