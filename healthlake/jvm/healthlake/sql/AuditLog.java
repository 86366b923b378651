package healthlake.sql;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Events for the audit log, as JSON lines in a file the Python side of the server moves into the
 * append-only `audit.events` table (healthlake/sql_server.py): a Delta write from every check would
 * make each query wait for a commit.
 */
final class AuditLog {
  static final String FILE_PROPERTY = "healthlake.sql.auditLog";

  private AuditLog() {}

  static synchronized void write(String user, String role, String action, String target, String outcome,
      String detail) {
    String file = System.getProperty(FILE_PROPERTY);
    if (file == null) {
      return;
    }
    String line = "{\"event_at\":" + quote(Instant.now().toString()) + ",\"actor\":" + quote(user)
        + ",\"role\":" + quote(role) + ",\"action\":" + quote(action) + ",\"target\":" + quote(target)
        + ",\"outcome\":" + quote(outcome) + ",\"detail\":" + quote(detail) + "}\n";
    try {
      Files.writeString(Paths.get(file), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      // An access decision must not depend on the log being writable, but the gap must be seen.
      System.err.println("healthlake: cannot write the SQL audit log " + file + ": " + e);
    }
  }

  private static String quote(String value) {
    if (value == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
