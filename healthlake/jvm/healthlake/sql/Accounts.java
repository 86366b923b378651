package healthlake.sql;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.spec.KeySpec;
import java.util.Base64;
import java.util.Properties;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * The endpoint's accounts, written by `healthlake sql-account` (healthlake/sql_accounts.py): one
 * line per account, {@code name = role:pbkdf2-sha256:iterations:salt:hash} (Base64). Read again on
 * every lookup, so an account added or removed counts from the next connection on.
 */
final class Accounts {
  static final String FILE_PROPERTY = "healthlake.sql.accounts";

  private Accounts() {}

  private static Properties load() {
    Properties accounts = new Properties();
    String file = System.getProperty(FILE_PROPERTY);
    if (file == null) {
      return accounts;
    }
    Path path = Paths.get(file);
    if (!Files.exists(path)) {
      return accounts;
    }
    try (InputStream in = Files.newInputStream(path)) {
      accounts.load(in);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the SQL accounts in " + file, e);
    }
    return accounts;
  }

  /** The account's role, or null when there is no such account. */
  static String roleOf(String user) {
    String entry = user == null ? null : load().getProperty(user);
    return entry == null ? null : entry.split(":", 2)[0];
  }

  static boolean passwordMatches(String user, String password) {
    String entry = user == null || password == null ? null : load().getProperty(user);
    if (entry == null) {
      return false;
    }
    String[] parts = entry.split(":");
    if (parts.length != 5 || !parts[1].equals("pbkdf2-sha256")) {
      return false;
    }
    int iterations = Integer.parseInt(parts[2]);
    byte[] salt = Base64.getDecoder().decode(parts[3]);
    byte[] expected = Base64.getDecoder().decode(parts[4]);
    try {
      KeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, expected.length * 8);
      byte[] actual = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
      return MessageDigest.isEqual(expected, actual);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available", e);
    }
  }
}
