package healthlake.sql;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.CurrentUserContext$;
import org.apache.spark.sql.catalyst.catalog.CatalogTable;
import org.apache.spark.sql.catalyst.catalog.HiveTableRelation;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.PlanExpression;
import org.apache.spark.sql.catalyst.plans.logical.Command;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.connector.catalog.Identifier;
import org.apache.spark.sql.execution.command.SetCommand;
import org.apache.spark.sql.execution.datasources.HadoopFsRelation;
import org.apache.spark.sql.execution.datasources.LogicalRelation;
import org.apache.spark.sql.execution.datasources.v2.DataSourceV2Relation;
import scala.Function1;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;

/**
 * Role-based access at the SQL endpoint, as a check on every analysed statement (so a view, a
 * subquery or `USE bronze` cannot hide a table the way they would hide it from the query text).
 *
 * <p>Roles and the schemas each may read come from the server (healthlake/sql_accounts.py, the one
 * place they are defined) in the system property {@code healthlake.sql.roles}, e.g.
 * {@code engineer=*;analyst=silver,gold,quality;app=gold}. A role with {@code *} may do anything;
 * any other role may only read catalog tables of its schemas and run the read-only commands below
 * (no reads by file path, no DDL or DML, no SET of a value, no Java reflection). Every read of a
 * restricted schema and every refusal goes to the audit log.
 */
public final class AccessControl implements Function1<SparkSessionExtensions, BoxedUnit> {
  static final String ROLES_PROPERTY = "healthlake.sql.roles";
  static final String RESTRICTED_PROPERTY = "healthlake.sql.restricted";
  static final String WAREHOUSE_PROPERTY = "healthlake.sql.warehouse";

  private static final Set<String> READ_ONLY_COMMANDS = Set.of(
      "ShowNamespaces", "ShowTables", "ShowTablesCommand", "ShowTablesExtended", "ShowViews",
      "ShowColumns", "ShowColumnsCommand", "DescribeRelation", "DescribeTableCommand", "DescribeColumn",
      "DescribeColumnCommand", "DescribeNamespace", "DescribeDatabaseCommand", "SetCatalogAndNamespace",
      "SetNamespaceCommand", "ShowFunctions", "ShowFunctionsCommand", "DescribeFunction",
      "DescribeFunctionCommand", "ShowTableProperties", "ShowTablePropertiesCommand", "ShowCatalogs",
      "ShowCurrentNamespaceCommand", "ShowCreateTable", "ShowCreateTableCommand", "ExplainCommand",
      "SetCommand", "ResetCommand");
  private static final Pattern REFLECTION = Pattern.compile("\\b(reflect|java_method|try_reflect)\\(");

  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    extensions.injectCheckRule(session -> plan -> {
      check(session.sparkContext(), plan);
      return BoxedUnit.UNIT;
    });
    return BoxedUnit.UNIT;
  }

  static void check(SparkContext context, LogicalPlan plan) {
    String user = CurrentUserContext$.MODULE$.CURRENT_USER().get();
    if (user == null) {
      return; // the server's own statements (its catalog refresh), not a client's
    }
    String role = Accounts.roleOf(user);
    Set<String> schemas = role == null ? null : roles().get(role);
    if (schemas == null) {
      deny(context, user, role, "", "no role for this account");
    }
    boolean unrestricted = schemas.contains("*");
    Set<String> read = new TreeSet<>();
    if (plan instanceof Command) {
      String name = plan.getClass().getSimpleName();
      if (!unrestricted) {
        if (!READ_ONLY_COMMANDS.contains(name)) {
          deny(context, user, role, "", "role " + role + " may only read: " + name + " is not allowed");
        }
        if (plan instanceof SetCommand set && set.kv().isDefined() && set.kv().get()._2().isDefined()) {
          deny(context, user, role, "", "role " + role + " may not change settings");
        }
      }
      read.addAll(schemasNamed(plan.toString()));
    } else {
      for (LogicalPlan leaf : leaves(plan)) {
        String table = tableOf(leaf);
        if (table == null) {
          List<String> paths = filesOf(leaf);
          if (paths == null) {
            continue; // not a table, not files: VALUES, range(), a constant
          }
          for (String path : paths) {
            String schema = schemaOfPath(path);
            if (schema == null && !unrestricted) {
              deny(context, user, role, path, "role " + role + " may not read files outside the warehouse: " + path);
            }
            if (schema != null && !path.contains("/_delta_log")) {
              // A read by path: named after its directory (Delta's own reads of its logs are not the user's).
              read.add(schema + "." + path.substring(path.lastIndexOf('/') + 1));
            } else if (schema != null && !unrestricted && !schemas.contains(schema)) {
              read.add(schema + ".*");
            }
          }
        } else {
          read.add(table);
        }
      }
      if (!unrestricted && REFLECTION.matcher(plan.toString()).find()) {
        deny(context, user, role, "", "role " + role + " may not call Java methods");
      }
    }
    Set<String> refused = new TreeSet<>();
    Set<String> restricted = new TreeSet<>();
    Set<String> restrictedSchemas = restrictedSchemas();
    for (String table : read) {
      String schema = table.split("\\.", 2)[0];
      if (!unrestricted && !schemas.contains(schema)) {
        refused.add(table);
      }
      if (restrictedSchemas.contains(schema)) {
        restricted.add(table);
      }
    }
    if (!refused.isEmpty()) {
      deny(context, user, role, String.join(",", refused), "role " + role + " may not read " + String.join(", ", refused));
    }
    if (!restricted.isEmpty()) {
      AuditLog.write(user, role, "restricted_read", String.join(",", restricted), "success", statement(context));
    }
  }

  private static void deny(SparkContext context, String user, String role, String target, String why) {
    AuditLog.write(user, role, "sql_refused", target, "denied", why + " | " + statement(context));
    throw new SecurityException("healthlake: access denied for " + user + ": " + why);
  }

  /** schema.table of a catalog table, or null for anything else (a file read by path, a constant). */
  private static String tableOf(LogicalPlan leaf) {
    if (leaf instanceof LogicalRelation relation) {
      return relation.catalogTable().isDefined() ? name(relation.catalogTable().get()) : null;
    }
    if (leaf instanceof HiveTableRelation relation) {
      return name(relation.tableMeta());
    }
    if (leaf instanceof DataSourceV2Relation relation && relation.identifier().isDefined()) {
      Identifier identifier = relation.identifier().get();
      String[] namespace = identifier.namespace();
      return namespace.length == 0 ? null : namespace[namespace.length - 1] + "." + identifier.name();
    }
    return null;
  }

  /** The files a leaf reads (a read by path, or Delta reading its log), or null when it reads no files. */
  private static List<String> filesOf(LogicalPlan leaf) {
    List<String> paths = new ArrayList<>();
    if (leaf instanceof LogicalRelation relation && relation.relation() instanceof HadoopFsRelation files) {
      for (org.apache.hadoop.fs.Path path : CollectionConverters.asJava(files.location().rootPaths())) {
        paths.add(location(path));
      }
      return paths;
    }
    if (leaf instanceof DataSourceV2Relation relation) {
      // A table without an identifier is read by path; Delta names such a table delta.`/its/path`.
      Matcher path = Pattern.compile("`([^`]+)`").matcher(relation.table().name());
      paths.add(path.find() ? location(new org.apache.hadoop.fs.Path(path.group(1))) : relation.table().name());
      return paths;
    }
    return null;
  }

  /** scheme://authority/path, so that a path in another bucket is not taken for the warehouse's. */
  private static String location(org.apache.hadoop.fs.Path path) {
    java.net.URI uri = path.toUri();
    String scheme = uri.getScheme() == null ? "file" : uri.getScheme();
    String authority = uri.getAuthority() == null ? "" : uri.getAuthority();
    return scheme + "://" + authority + uri.getPath();
  }

  /** The schema whose warehouse directory holds the path, or null for a path outside the warehouse. */
  private static String schemaOfPath(String path) {
    String warehouse = location(new org.apache.hadoop.fs.Path(System.getProperty(WAREHOUSE_PROPERTY, "/nonexistent")));
    if (!path.startsWith(warehouse + "/")) {
      return null;
    }
    String rest = path.substring(warehouse.length() + 1);
    return rest.contains("/") ? rest.substring(0, rest.indexOf('/')) : rest;
  }

  private static String name(CatalogTable table) {
    String schema = table.identifier().database().isDefined() ? table.identifier().database().get() : "default";
    return schema + "." + table.identifier().table();
  }

  /** Every leaf, also those of subqueries in expressions (IN, EXISTS, scalar subqueries). */
  private static List<LogicalPlan> leaves(LogicalPlan root) {
    List<LogicalPlan> found = new ArrayList<>();
    collect(root, found);
    return found;
  }

  private static void collect(LogicalPlan node, List<LogicalPlan> found) {
    List<LogicalPlan> children = CollectionConverters.asJava(node.children());
    if (children.isEmpty()) {
      found.add(node);
    }
    for (LogicalPlan child : children) {
      collect(child, found);
    }
    for (Expression expression : CollectionConverters.asJava(node.expressions())) {
      expression.foreach(part -> {
        if (part instanceof PlanExpression<?> subquery && subquery.plan() instanceof LogicalPlan inner) {
          collect(inner, found);
        }
        return BoxedUnit.UNIT;
      });
    }
  }

  /** Schemas a command names (a command's plan holds names, not relations): schema.table or a bare schema. */
  private static Set<String> schemasNamed(String planText) {
    Set<String> found = new LinkedHashSet<>();
    for (String schema : allSchemas()) {
      Matcher matcher = Pattern.compile("\\b" + Pattern.quote(schema) + "\\b(\\.\\w+)?").matcher(planText);
      while (matcher.find()) {
        found.add(schema + (matcher.group(1) == null ? ".*" : matcher.group(1)));
      }
    }
    return found;
  }

  private static Set<String> allSchemas() {
    Set<String> all = new TreeSet<>(restrictedSchemas());
    for (Set<String> schemas : roles().values()) {
      for (String schema : schemas) {
        if (!schema.equals("*")) {
          all.add(schema);
        }
      }
    }
    return all;
  }

  private static Map<String, Set<String>> roles() {
    Map<String, Set<String>> roles = new HashMap<>();
    String spec = System.getProperty(ROLES_PROPERTY, "");
    for (String entry : spec.split(";")) {
      String[] parts = entry.split("=", 2);
      if (parts.length == 2) {
        roles.put(parts[0].trim(), new TreeSet<>(Arrays.asList(parts[1].trim().split(","))));
      }
    }
    return roles;
  }

  private static Set<String> restrictedSchemas() {
    return new TreeSet<>(Arrays.asList(System.getProperty(RESTRICTED_PROPERTY, "").split(",")));
  }

  /** The statement's text, which the Thrift server sets as the job description before running it. */
  private static String statement(SparkContext context) {
    String text = context.getLocalProperty("spark.job.description");
    return text == null ? "" : text;
  }
}
