from pyflink.table import DataTypes, EnvironmentSettings, TableEnvironment
from pyflink.table.udf import udf

from util import length


@udf(result_type=DataTypes.BIGINT())
def word_len(s):
    return length(s)


t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
t_env.create_temporary_function("word_len", word_len)
t_env.execute_sql("CREATE TABLE words (w STRING) WITH ('connector' = 'datagen')")
t_env.execute_sql("CREATE TABLE lengths (n BIGINT) WITH ('connector' = 'blackhole')")
t_env.execute_sql("INSERT INTO lengths SELECT word_len(w) FROM words")
