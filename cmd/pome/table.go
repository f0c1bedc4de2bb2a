package main

import (
	"strings"
	"unicode/utf8"
)

// table is a table for people: columns padded to line up, fitted to the
// output's width (fit): long names are cut short with "…", and columns go
// in the order of their drop rank; -o wide keeps everything. Every cell goes through printable, so no name can shift
// the columns.
type table struct {
	cols []column
	rows [][]string
}

// column is a table's column.
type column struct {
	title string
	// drop: when the table is too wide, columns with a drop rank go, rank 1
	// first; 0 never goes.
	drop int
	// truncate: the column may be cut short to fit (a name, a description).
	truncate bool
	// paint colors a cell's text; the padding is counted without it, so
	// colors do not shift the columns.
	paint func(string) string
}

// A truncatable column is cut to comfortableTruncated before any column is
// dropped, and to minTruncated at most.
const (
	comfortableTruncated = 24
	minTruncated         = 8
)

// tableGap is the space between two columns.
const tableGap = "  "

func newTable(cols ...column) *table { return &table{cols: cols} }

// add appends a row: one cell per column.
func (t *table) add(cells ...string) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = printable(c)
	}
	t.rows = append(t.rows, row)
}

// write writes the table to out; wide keeps every column, whatever the
// width.
func (t *table) write(out *output, wide bool) error {
	widths := make([]int, len(t.cols))
	for i, c := range t.cols {
		widths[i] = utf8.RuneCountInString(c.title)
		for _, r := range t.rows {
			widths[i] = max(widths[i], utf8.RuneCountInString(r[i]))
		}
	}
	keep := make([]bool, len(t.cols))
	for i := range keep {
		keep[i] = true
	}
	if !wide && out.width > 0 {
		t.fit(out.width, widths, keep)
	}
	var b strings.Builder
	var err error
	line := func(cells []string, painted bool) {
		first := true
		for i, c := range t.cols {
			if !keep[i] {
				continue
			}
			if !first {
				b.WriteString(tableGap)
			}
			first = false
			s := cut(cells[i], widths[i])
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(s))
			if painted && c.paint != nil {
				s = c.paint(s)
			}
			b.WriteString(s + pad)
		}
		trimmed := strings.TrimRight(b.String(), " ")
		b.Reset()
		if _, werr := out.w.Write([]byte(trimmed + "\n")); err == nil {
			err = werr
		}
	}
	titles := make([]string, len(t.cols))
	for i, c := range t.cols {
		titles[i] = c.title
	}
	line(titles, false)
	for _, r := range t.rows {
		line(r, true)
	}
	return err
}

// fit makes the table at most width wide: first truncatable columns are
// cut to a comfortable width, then columns go by drop rank, then the
// truncatable ones are cut further, to minTruncated.
func (t *table) fit(width int, widths []int, keep []bool) {
	total := func() int {
		n, cols := 0, 0
		for i, w := range widths {
			if keep[i] {
				n += w
				cols++
			}
		}
		return n + len(tableGap)*max(cols-1, 0)
	}
	shrink := func(floor int) {
		for i, c := range t.cols {
			if over := total() - width; over > 0 && keep[i] && c.truncate {
				widths[i] = max(widths[i]-over, min(widths[i], floor))
			}
		}
	}
	shrink(comfortableTruncated)
	for rank := 1; rank <= len(t.cols) && total() > width; rank++ {
		for i, c := range t.cols {
			if c.drop == rank {
				keep[i] = false
			}
		}
	}
	shrink(minTruncated)
}

// cut shortens s to width runes, ending in "…" when it was longer.
func cut(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:max(width-1, 0)]) + "…"
}
