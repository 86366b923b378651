package healthlake.sql;

import javax.security.sasl.AuthenticationException;
import org.apache.hive.service.auth.PasswdAuthenticationProvider;

/** HiveServer2's CUSTOM authentication: a connection's user and password against the accounts file. */
public final class Authenticator implements PasswdAuthenticationProvider {
  @Override
  public void Authenticate(String user, String password) throws AuthenticationException {
    if (!Accounts.passwordMatches(user, password)) {
      AuditLog.write(user, null, "sign_in", "", "denied", "wrong user name or password");
      throw new AuthenticationException("healthlake: wrong user name or password for " + user);
    }
  }
}
