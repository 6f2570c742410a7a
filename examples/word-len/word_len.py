"""Length of each word of a stream, computed in a Python UDF (the example PyFlink job)."""
from pyflink.table import DataTypes, EnvironmentSettings, TableEnvironment
from pyflink.table.udf import udf

from text_utils import normalized


@udf(result_type=DataTypes.BIGINT())
def word_len(word):
    return len(normalized(word))


def main():
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.create_temporary_function("word_len", word_len)
    t_env.execute_sql(
        "CREATE TABLE words (word STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '10')"
    )
    t_env.execute_sql("CREATE TABLE lengths (n BIGINT) WITH ('connector' = 'print')")
    t_env.execute_sql("INSERT INTO lengths SELECT word_len(word) FROM words")


if __name__ == "__main__":
    main()
