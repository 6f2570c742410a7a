// Prints Flink's default max parallelism for a list of parallelisms, as
// `KeyGroupRangeAssignment.computeDefaultMaxParallelism` computes it: the vectors in
// tests/data/max-parallelism.txt, which src/diff/rules.rs is tested against.
//
//   jar=$(find ~/.cache/flinkgen/flink-2.3.0 -name 'flink-dist*.jar')
//   javac -cp "$jar" -d /tmp/maxp scripts/java/MaxParallelism.java
//   java -cp "$jar:/tmp/maxp" MaxParallelism > tests/data/max-parallelism.txt
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

public class MaxParallelism {
    public static void main(String[] args) {
        int[] parallelisms = {1, 2, 4, 64, 85, 86, 100, 128, 170, 171, 200, 300, 1000, 21845, 21846, 32768};
        for (int p : parallelisms) {
            System.out.println(p + " " + KeyGroupRangeAssignment.computeDefaultMaxParallelism(p));
        }
    }
}
