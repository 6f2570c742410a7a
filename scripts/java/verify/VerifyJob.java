package flinkgen.verify;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import flinkgen.verify.lib.LibMarker;

/**
 * The job scripts/verify-jars.py starts: a bounded stream mapped through a class that only a
 * jar in Flink's lib/ folder provides, so the job finishes only if the JobManager found this
 * jar where flinkgen said it is and every process has the lib/ jar on its classpath.
 */
public class VerifyJob {
    public static void main(String[] args) throws Exception {
        System.out.println("flinkgen-verify main: " + LibMarker.mark());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.fromSequence(1, 100)
                .map(new MapFunction<Long, String>() {
                    @Override
                    public String map(Long value) {
                        return LibMarker.mark() + " " + value;
                    }
                })
                .print();
        env.execute("flinkgen-verify");
    }
}
