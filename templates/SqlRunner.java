// Written by flinkgen: runs a SQL script as a Flink job. Flink 1.x has no driver for SQL
// scripts, so a SQL spec's image carries this class, built in the Dockerfile's first stage.
// Each statement goes to TableEnvironment.executeSql in order; the last one (an INSERT or an
// EXECUTE STATEMENT SET, as flinkgen checks at render time) submits the job.
package flinkgen;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;

public final class SqlRunner {
    private SqlRunner() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: flinkgen.SqlRunner <script.sql>");
        }
        String script = new String(Files.readAllBytes(Paths.get(args[0])), StandardCharsets.UTF_8);
        List<String> statements = split(script);
        if (statements.isEmpty()) {
            throw new IllegalArgumentException(args[0] + " holds no SQL statement");
        }
        TableEnvironment tables = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        for (int n = 0; n < statements.size(); n++) {
            String statement = statements.get(n);
            System.out.println("flinkgen.SqlRunner: statement " + (n + 1) + " of " + statements.size());
            // SET is the SQL client's command, not a statement executeSql takes.
            Matcher set = SET.matcher(statement);
            if (set.matches()) {
                tables.getConfig().set(unquote(set.group(1)), unquote(set.group(2)));
            } else {
                tables.executeSql(statement);
            }
        }
    }

    private static final Pattern SET =
            Pattern.compile("SET\\s+'((?:[^']|'')*)'\\s*=\\s*'((?:[^']|'')*)'", Pattern.CASE_INSENSITIVE);

    private static String unquote(String quoted) {
        return quoted.replace("''", "'");
    }

    /**
     * The script's statements, without comments (a hint, slash-star-plus, stays) and without
     * their closing ';'. A ';' inside a quoted string or identifier, a comment, or an EXECUTE
     * STATEMENT SET block does not end a statement; a statement of only comments is dropped. flinkgen splits the same way when it checks the
     * script (validate/sql.rs), so both see the same statements.
     */
    static List<String> split(String script) {
        List<String> statements = new ArrayList<>();
        StringBuilder code = new StringBuilder();
        int i = 0;
        while (i < script.length()) {
            char c = script.charAt(i);
            char next = i + 1 < script.length() ? script.charAt(i + 1) : '\0';
            if (c == '\'' || c == '"' || c == '`') {
                int end = i + 1;
                while (end < script.length()) {
                    if (script.charAt(end) == c) {
                        if (end + 1 < script.length() && script.charAt(end + 1) == c) {
                            end += 2;
                            continue;
                        }
                        break;
                    }
                    end++;
                }
                end = Math.min(end + 1, script.length());
                code.append(script, i, end);
                i = end;
            } else if (c == '-' && next == '-') {
                int end = script.indexOf('\n', i);
                end = end < 0 ? script.length() : end;
                code.append(' ');
                i = end;
            } else if (c == '/' && next == '*' && !script.startsWith("/*+", i)) {
                int end = script.indexOf("*/", i + 2);
                end = end < 0 ? script.length() : end + 2;
                code.append(' ');
                i = end;
            } else if (c == ';' && !(inStatementSet(code) && !lastWord(code).equals("END"))) {
                add(statements, code);
                i++;
            } else {
                code.append(c);
                i++;
            }
        }
        add(statements, code);
        return statements;
    }

    private static void add(List<String> statements, StringBuilder code) {
        if (!code.toString().trim().isEmpty()) {
            statements.add(code.toString().trim());
        }
        code.setLength(0);
    }

    private static boolean inStatementSet(StringBuilder code) {
        return words(code).startsWith("EXECUTE STATEMENT SET");
    }

    private static String lastWord(StringBuilder code) {
        String w = words(code);
        return w.substring(w.lastIndexOf(' ') + 1);
    }

    private static String words(StringBuilder code) {
        return code.toString().trim().replaceAll("\\s+", " ").toUpperCase(Locale.ROOT);
    }
}
