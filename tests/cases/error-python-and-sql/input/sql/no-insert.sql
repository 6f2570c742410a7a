CREATE TABLE t (x INT) WITH ('connector' = 'datagen');
