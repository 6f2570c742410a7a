-- Orders per minute; the INSERT at the end is the job.
SET 'pipeline.name' = 'orders-per-minute';
CREATE TABLE orders (id BIGINT, amount DOUBLE, ts AS LOCALTIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector' = 'datagen');
CREATE TABLE per_minute (w TIMESTAMP(3), total DOUBLE) WITH ('connector' = 'blackhole');
INSERT INTO per_minute
SELECT window_start, SUM(amount) FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end;
