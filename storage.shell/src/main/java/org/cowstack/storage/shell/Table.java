package org.cowstack.storage.shell;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

import org.cowstack.storage.shell.cli.Json;

/**
 * What a listing command returns: typed rows, plus the columns that show them. Scripts
 * get a {@link List} of rows ({@code ($t get 0) name}); people get an aligned table from
 * {@link ResultConverter}; {@code --json} gets {@link #toJson()}.
 *
 * @param <R> the row type, usually a record
 */
public final class Table<R> extends AbstractList<R> {
    private final List<R> rows;
    private final List<Column<R>> columns;
    private final String empty;

    private Table(List<R> rows, List<Column<R>> columns, String empty) {
        this.rows = List.copyOf(rows);
        this.columns = List.copyOf(columns);
        this.empty = empty;
    }

    /**
     * One column: its header, the cell as shown, the value as JSON gets it (raw bytes where
     * the cell says {@code 16M}), and whether it aligns right.
     */
    public record Column<R>(String header, Function<R, ?> cell, Function<R, ?> value, boolean right) {
    }

    /** Starts a table over {@code rows}; add columns, then {@link Builder#build()}. */
    public static <R> Builder<R> of(List<R> rows) {
        return new Builder<>(rows);
    }

    public static final class Builder<R> {
        private final List<R> rows;
        private final List<Column<R>> columns = new ArrayList<>();
        private String empty;

        private Builder(List<R> rows) {
            this.rows = rows;
        }

        public Builder<R> column(String header, Function<R, ?> cell) {
            columns.add(new Column<>(header, cell, cell, false));
            return this;
        }

        /** A column shown one way ({@code -}) and given to JSON another ({@code null}). */
        public Builder<R> column(String header, Function<R, ?> cell, Function<R, ?> value) {
            columns.add(new Column<>(header, cell, value, false));
            return this;
        }

        /** A column of numbers: right-aligned. */
        public Builder<R> number(String header, Function<R, ?> cell) {
            columns.add(new Column<>(header, cell, cell, true));
            return this;
        }

        /** A column of numbers shown one way ({@code 16M}) and given to JSON another ({@code 16777216}). */
        public Builder<R> number(String header, Function<R, ?> cell, Function<R, ?> value) {
            columns.add(new Column<>(header, cell, value, true));
            return this;
        }

        /** What the table prints instead of a lone header when it has no rows. */
        public Builder<R> whenEmpty(String message) {
            this.empty = message;
            return this;
        }

        public Table<R> build() {
            return new Table<>(rows, columns, empty);
        }
    }

    @Override
    public R get(int index) {
        return rows.get(index);
    }

    @Override
    public int size() {
        return rows.size();
    }

    public List<Column<R>> columns() {
        return columns;
    }

    /** One line: {@code 3 rows}. */
    public String summary() {
        return rows.size() + (rows.size() == 1 ? " row" : " rows");
    }

    /** The table as text: an upper-case header line and one line per row, columns two spaces apart. */
    public String render() {
        if (rows.isEmpty() && empty != null) {
            return empty + "\n";
        }
        int n = columns.size();
        String[][] cells = new String[rows.size() + 1][n];
        int[] widths = new int[n];
        for (int c = 0; c < n; c++) {
            cells[0][c] = columns.get(c).header().toUpperCase(Locale.ROOT);
            widths[c] = cells[0][c].length();
        }
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < n; c++) {
                Object value = columns.get(c).cell().apply(rows.get(r));
                String text = value == null ? "-" : value.toString();
                cells[r + 1][c] = text;
                widths[c] = Math.max(widths[c], text.length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] line : cells) {
            StringBuilder row = new StringBuilder();
            for (int c = 0; c < n; c++) {
                String text = line[c];
                int pad = widths[c] - text.length();
                boolean last = c == n - 1;
                if (columns.get(c).right()) {
                    row.append(" ".repeat(pad)).append(text);
                } else {
                    row.append(text);
                    if (!last) {
                        row.append(" ".repeat(pad));
                    }
                }
                if (!last) {
                    row.append("  ");
                }
            }
            out.append(row.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }

    /** The rows as one JSON array of objects whose keys are the column headers. */
    public String toJson() {
        List<Map<String, Object>> objects = new ArrayList<>();
        for (R row : rows) {
            Map<String, Object> o = new LinkedHashMap<>();
            for (Column<R> c : columns) {
                o.put(c.header(), c.value().apply(row));
            }
            objects.add(o);
        }
        return Json.array(objects);
    }

    /** The table as the command prints it: JSON when {@code json}, else the table itself. */
    public Object as(boolean json) {
        return json ? toJson() : this;
    }

    @Override
    public String toString() {
        return render();
    }
}
