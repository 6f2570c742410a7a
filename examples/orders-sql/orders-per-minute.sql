-- Revenue per minute of a generated order stream. Checked by flinkgen at render time: the
-- script ends with the one statement that runs the job.
SET 'pipeline.name' = 'orders-per-minute';

CREATE TABLE orders (
  id BIGINT,
  amount DECIMAL(10, 2),
  ts AS LOCALTIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('connector' = 'datagen', 'rows-per-second' = '100');

CREATE TABLE revenue (
  window_start TIMESTAMP(3),
  total DECIMAL(38, 2)
) WITH ('connector' = 'print');

INSERT INTO revenue
SELECT window_start, SUM(amount)
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end;
