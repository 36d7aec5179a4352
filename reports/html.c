/*
 * index.html: one self-contained page (polyglot XHTML5, so xmllint can
 * check it) with an inline stylesheet, the tables, the pictures (relative
 * paths) and an inline script that sorts any table by a click on a header.
 * No network resources. The script avoids '<' and '&' so it needs no CDATA.
 */
#include <stdio.h>
#include <string.h>

#include "vsr/reports.h"

static const char STYLE[] =
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:24px;color:#222;"
    "max-width:1400px}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin-top:28px;border-bottom:1px "
    "solid #ccc}\n"
    ".sub{color:#666;font-size:13px;margin-bottom:12px}\n"
    "table{border-collapse:collapse;margin:12px 0 4px;font-size:13px}\n"
    "caption{text-align:left;font-weight:bold;padding:4px 0}\n"
    "th,td{border:1px solid #ccc;padding:3px 8px;white-space:nowrap}\n"
    "th{background:#f0f0f0;cursor:pointer;user-select:none}\n"
    "th[data-dir=asc]::after{content:' \\25B2'}th[data-dir=desc]::after{content:' \\25BC'}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "td.best{background:#e6f4e6}\n"
    "tbody tr:nth-child(even){background:#fafafa}\n"
    ".note{font-size:12px;color:#555;margin:0 0 16px}\n"
    "figure{display:inline-block;margin:8px 16px 16px 0;vertical-align:top}\n"
    "figure img{max-width:100%;border:1px solid #ddd}\n"
    "figcaption{font-size:13px;color:#444}\n"
    "nav a{margin-right:12px;font-size:13px}\n";

static const char SCRIPT[] =
    "(function () {\n"
    "  function key(td, num) {\n"
    "    if (!num) return td.textContent;\n"
    "    var v = td.getAttribute('data-v');\n"
    "    return v === null ? NaN : parseFloat(v);\n"
    "  }\n"
    "  function setup(table) {\n"
    "    var ths = table.tHead.rows[0].cells;\n"
    "    Array.prototype.forEach.call(ths, function (th, c) {\n"
    "      th.addEventListener('click', function () {\n"
    "        var num = th.getAttribute('data-type') === 'num';\n"
    "        var asc = th.getAttribute('data-dir') !== 'asc';\n"
    "        Array.prototype.forEach.call(ths, function (h) { h.removeAttribute('data-dir'); "
    "});\n"
    "        th.setAttribute('data-dir', asc ? 'asc' : 'desc');\n"
    "        var body = table.tBodies[0];\n"
    "        var rows = Array.prototype.slice.call(body.rows);\n"
    "        rows.sort(function (a, b) {\n"
    "          var x = key(a.cells[c], num), y = key(b.cells[c], num);\n"
    "          if (num) {\n"
    "            if (isNaN(x)) return isNaN(y) ? 0 : 1;\n"
    "            if (isNaN(y)) return -1;\n"
    "            return asc ? x - y : y - x;\n"
    "          }\n"
    "          return asc ? x.localeCompare(y) : y.localeCompare(x);\n"
    "        });\n"
    "        rows.forEach(function (r) { body.appendChild(r); });\n"
    "      });\n"
    "    });\n"
    "  }\n"
    "  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), setup);\n"
    "})();\n";

int vsr_report_html_write(const char *path, const char *title, const char *subtitle,
                          const vsr_report_table *const *tables, size_t ntables,
                          const vsr_report_image *images, size_t nimages, vsr_error *err)
{
    vsr_atomic_file af;
    int rc = vsr_atomic_open(&af, path, err);
    if (rc)
        return rc;
    FILE *f = af.f;
    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
          "<head>\n<meta charset=\"utf-8\" />\n<title>",
          f);
    vsr_report_put_html(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", STYLE);
    vsr_report_put_html(f, title);
    fputs("</h1>\n", f);
    if (subtitle) {
        fputs("<div class=\"sub\">", f);
        vsr_report_put_html(f, subtitle);
        fputs("</div>\n", f);
    }
    fputs("<nav>", f);
    for (size_t i = 0; i < ntables; i++) {
        fputs("<a href=\"#", f);
        vsr_report_put_html(f, tables[i]->id);
        fputs("\">", f);
        vsr_report_put_html(f, tables[i]->title);
        fputs("</a> ", f);
    }
    if (nimages)
        fputs("<a href=\"#plots\">Plots</a>", f);
    fputs("</nav>\n<h2>Tables</h2>\n<p class=\"note\">Click a column header to sort.</p>\n", f);
    for (size_t i = 0; i < ntables; i++)
        vsr_report_table_write(f, tables[i], VSR_REPORT_HTML, NULL);
    if (nimages) {
        fputs("<h2 id=\"plots\">Plots</h2>\n", f);
        for (size_t i = 0; i < nimages; i++) {
            fputs("<figure><a href=\"", f);
            vsr_report_put_html(f, images[i].src);
            fputs("\"><img src=\"", f);
            vsr_report_put_html(f, images[i].src);
            fputs("\" alt=\"", f);
            vsr_report_put_html(f, images[i].caption ? images[i].caption : images[i].src);
            fputs("\" /></a><figcaption>", f);
            vsr_report_put_html(f, images[i].caption ? images[i].caption : images[i].src);
            fputs("</figcaption></figure>\n", f);
        }
    }
    fprintf(f, "<script>\n%s</script>\n</body>\n</html>\n", SCRIPT);
    return vsr_atomic_commit(&af, err);
}
