package flinkgen.verify.lib;

/** Packaged alone into the jar the verify project puts into Flink's lib/ folder. */
public class LibMarker {
    public static String mark() {
        return "flinkgen-lib-marker";
    }
}
