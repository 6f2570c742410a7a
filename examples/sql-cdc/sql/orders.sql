-- Run by the SQL jobs of the sql-cdc cluster.
CREATE TABLE orders (id BIGINT, amount DECIMAL(10, 2)) WITH ('connector' = 'datagen');
CREATE TABLE sink (id BIGINT, amount DECIMAL(10, 2)) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT id, amount FROM orders;
