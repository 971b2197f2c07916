// Opens a chibo warehouse the way DBeaver does: DuckDB's JDBC driver, a read-only connection
// (property duckdb.read_only=true), tables and comments through DatabaseMetaData.
//
//   java -cp duckdb_jdbc-X.jar:DIR ReadWarehouse FILE TABLE [hold]
//
// Prints one "key<TAB>value" line per fact. With "hold" it then keeps the connection open and
// answers SQL read from stdin, one statement a line: the first column of each row, then
// "__END__" (an empty stdin line or end of input closes it).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

public class ReadWarehouse {
    static void out(String key, Object value) {
        System.out.println(key + "\t" + String.valueOf(value).replace('\n', ' '));
    }

    static void firstColumn(Connection con, String sql) throws SQLException {
        try (Statement st = con.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                System.out.println(rs.getString(1));
            }
        }
    }

    public static void main(String[] args) throws Exception {
        String path = args[0];
        String table = args[1];
        boolean hold = args.length > 2 && args[2].equals("hold");
        System.setOut(new java.io.PrintStream(System.out, true, StandardCharsets.UTF_8));
        Class.forName("org.duckdb.DuckDBDriver");
        Properties props = new Properties();
        props.setProperty("duckdb.read_only", "true");
        try (Connection con = DriverManager.getConnection("jdbc:duckdb:" + path, props)) {
            DatabaseMetaData md = con.getMetaData();
            out("driver_version", md.getDriverVersion());
            try (Statement st = con.createStatement();
                 ResultSet rs = st.executeQuery("SELECT library_version FROM pragma_version()")) {
                rs.next();
                out("library_version", rs.getString(1));
            }
            try (Statement st = con.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM main." + table)) {
                rs.next();
                out("rows", rs.getLong(1));
            }
            try (ResultSet rs = md.getTables(null, "main", table, null)) {
                while (rs.next()) {
                    out("table_remarks", rs.getString("REMARKS"));
                }
            }
            try (ResultSet rs = md.getColumns(null, "main", table, "%")) {
                while (rs.next()) {
                    out("column_remarks", rs.getString("COLUMN_NAME") + "=" + rs.getString("REMARKS"));
                }
            }
            try (Statement st = con.createStatement()) {
                st.execute("CREATE TABLE main.jdbc_write_probe (x INTEGER)");
                out("write", "allowed");
            } catch (SQLException e) {
                out("write", "refused: " + e.getMessage());
            }
            if (!hold) {
                return;
            }
            out("holding", "yes");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.isBlank()) {
                try {
                    firstColumn(con, line);
                } catch (SQLException e) {
                    System.out.println("ERROR " + e.getMessage());
                }
                System.out.println("__END__");
            }
        }
    }
}
