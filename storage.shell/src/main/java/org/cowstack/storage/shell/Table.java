package org.cowstack.storage.shell;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * What a listing command returns: typed rows, plus the columns that show them. Scripts
 * get a {@link List} of rows ({@code ($t get 0) name}); people get an aligned table
 * from {@link TableConverter}.
 *
 * @param <R> the row type, usually a record
 */
public final class Table<R> extends AbstractList<R> {
    private final List<R> rows;
    private final List<Column<R>> columns;

    private Table(List<R> rows, List<Column<R>> columns) {
        this.rows = List.copyOf(rows);
        this.columns = List.copyOf(columns);
    }

    /** One column: its header, how to get the cell from a row, and whether numbers align right. */
    public record Column<R>(String header, Function<R, ?> cell, boolean right) {
    }

    /** Starts a table over {@code rows}; add columns, then {@link Builder#build()}. */
    public static <R> Builder<R> of(List<R> rows) {
        return new Builder<>(rows);
    }

    public static final class Builder<R> {
        private final List<R> rows;
        private final List<Column<R>> columns = new ArrayList<>();

        private Builder(List<R> rows) {
            this.rows = rows;
        }

        public Builder<R> column(String header, Function<R, ?> cell) {
            columns.add(new Column<>(header, cell, false));
            return this;
        }

        /** A column of numbers: right-aligned. */
        public Builder<R> number(String header, Function<R, ?> cell) {
            columns.add(new Column<>(header, cell, true));
            return this;
        }

        public Table<R> build() {
            return new Table<>(rows, columns);
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

    /** The table as text: an upper-case header line and one line per row, columns two spaces apart. */
    public String render() {
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

    @Override
    public String toString() {
        return render();
    }
}
