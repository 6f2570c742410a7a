SET parallelism.default = 2;
INSERT INTO a SELECT 'it;s
