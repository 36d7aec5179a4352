/* index.html: well-formed (own checker, and xmllint when present), self-
 * contained (no network resources), sortable tables; a screenshot in
 * headless Chromium where /usr/bin/chromium exists. */
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "html_check.h"
#include "vsr/datasets.h"
#include "vsr/reports.h"

static void test_checker_catches_errors(void **state)
{
    (void)state;
    char why[128];
    assert_int_equal(html_check("<p><b>x</b></p>", why, sizeof(why)), 0);
    assert_int_not_equal(html_check("<p><b>x</p></b>", why, sizeof(why)), 0);
    assert_int_not_equal(html_check("<p>a < b</p>", why, sizeof(why)), 0);
    assert_int_not_equal(html_check("<p>a & b</p>", why, sizeof(why)), 0);
    assert_int_not_equal(html_check("<img src=x />", why, sizeof(why)), 0);
    assert_int_not_equal(html_check("<div>", why, sizeof(why)), 0);
    assert_int_equal(html_check("<img src=\"x\" />", why, sizeof(why)), 0);
}

/* Write a page with a leaderboard of awkward names and one picture. */
static void make_page(const char *dir, char *path, size_t cap)
{
    vsr_report_row r[2];
    for (int i = 0; i < 2; i++) {
        vsr_report_row_init(&r[i]);
        strcpy(r[i].dataset, "demo");
        strcpy(r[i].channel, "RGB");
        strcpy(r[i].precision, "fp16");
        r[i].psnr = 30 + i;
        r[i].ms_median = 10 - i;
    }
    strcpy(r[0].model, "<script>alert('x')</script>");
    strcpy(r[1].model, "A&B \"quoted\"");
    vsr_report_table t;
    vsr_error err = {0};
    assert_int_equal(vsr_report_table_leaderboard(r, 2, VSR_REPORT_DISPLAY, &t, &err), 0);
    const vsr_report_table *tabs[] = {&t};
    vsr_report_image im[] = {{"plots/p.png", "PSNR <vs> ms & more"}};
    snprintf(path, cap, "%s/index.html", dir);
    assert_int_equal(
        vsr_report_html_write(path, "vsrbench report", "sub & title", tabs, 1, im, 1, &err), 0);
    vsr_report_table_free(&t);
}

static void test_index_well_formed(void **state)
{
    (void)state;
    char dir[256], path[512], why[128] = "";
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    make_page(dir, path, sizeof(path));
    char *html = vsr_test_slurp(path);
    assert_non_null(html);
    size_t bad = html_check(html, why, sizeof(why));
    if (bad)
        print_error("index.html not well formed at byte %zu: %s\n", bad - 1, why);
    assert_int_equal(bad, 0);
    /* Escaped names, sortable table, the inline script, the picture. */
    assert_non_null(strstr(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert_non_null(strstr(html, "A&amp;B &quot;quoted&quot;"));
    assert_non_null(strstr(html, "<table class=\"sortable\" id=\"leaderboard_demo_RGB\">"));
    assert_non_null(strstr(html, "<td class=\"num best\" data-v=\"31\"><b>31.00</b></td>"));
    assert_non_null(strstr(html, "addEventListener('click'"));
    assert_non_null(strstr(html, "<img src=\"plots/p.png\""));
    /* Self-contained: no URL other than the XHTML namespace name. */
    const char *p = html;
    int urls = 0;
    while ((p = strstr(p, "http")) != NULL) {
        urls++;
        assert_int_equal(strncmp(p, "http://www.w3.org/1999/xhtml", 28), 0);
        p += 4;
    }
    assert_int_equal(urls, 1);
    assert_null(strstr(html, "//cdn"));
    free(html);
    if (access("/usr/bin/xmllint", X_OK) == 0) {
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "/usr/bin/xmllint --noout '%s'", path);
        int st = system(cmd);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    } else {
        print_message("note: xmllint absent; only the built-in checker ran\n");
    }
    remove(path);
    rmdir(dir);
}

/* Headless Chromium renders the page (and its table) to a PNG of the window size. */
static void test_chromium_screenshot(void **state)
{
    (void)state;
    if (access("/usr/bin/chromium", X_OK) != 0) {
        VSR_SKIP("/usr/bin/chromium is absent (optional; apt-get install chromium to run "
                 "the screenshot test)");
    }
    char dir[256], path[512], shot[512], cmd[4096];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    make_page(dir, path, sizeof(path));
    /* The page's picture (plots/p.png, relative): a 240x120 block of a colour
     * nothing else on the page has, so the screenshot shows whether it loaded. */
    char plots[600], pic[700];
    snprintf(plots, sizeof(plots), "%s/plots", dir);
    assert_int_equal(mkdir(plots, 0777), 0);
    snprintf(pic, sizeof(pic), "%s/p.png", plots);
    vsr_frame block;
    vsr_error werr = {0};
    assert_int_equal(vsr_frame_alloc(&block, 240, 120, 3, NULL), 0);
    for (int y = 0; y < 120; y++)
        for (int x = 0; x < 240; x++)
            memcpy(vsr_frame_row(&block, y) + 3 * x, "\x12\x34\xc8", 3);
    assert_int_equal(vsr_image_write_png(pic, &block, &werr), 0);
    vsr_frame_free(&block);
    snprintf(shot, sizeof(shot), "%s/shot.png", dir);
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic "
             "--no-first-run --disable-background-networking --disable-component-update "
             "--disable-sync --user-data-dir='%s/profile' --screenshot='%s' "
             "--window-size=1280,1600 'file://%s' >/dev/null 2>&1; rm -rf '%s/profile'",
             dir, shot, path, dir);
    int st = system(cmd);
    (void)st;
    FILE *f = fopen(shot, "rb");
    assert_non_null(f);
    uint8_t b[24];
    assert_int_equal(fread(b, 1, 24, f), 24);
    fclose(f);
    uint32_t w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
    uint32_t h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
    assert_int_equal(w, 1280);
    assert_int_equal(h, 1600);
    /* The leaderboard was drawn: the "best" cell background (#e6f4e6) and
     * dark text pixels are both present. */
    vsr_frame img = {0};
    vsr_error err = {0};
    assert_int_equal(vsr_image_read(shot, 3, &img, &err), 0);
    long best = 0, dark = 0, picture = 0;
    for (int y = 0; y < img.height; y++) {
        const uint8_t *row = vsr_frame_row(&img, y);
        for (int x = 0; x < img.width; x++) {
            const uint8_t *px = row + 3 * x;
            best += px[0] == 0xe6 && px[1] == 0xf4 && px[2] == 0xe6;
            dark += px[0] < 0x60 && px[1] < 0x60 && px[2] < 0x60;
            picture += px[0] == 0x12 && px[1] == 0x34 && px[2] == 0xc8;
        }
    }
    vsr_frame_free(&img);
    print_message("screenshot: %ld best-cell pixels, %ld dark pixels, %ld picture pixels\n",
                  best, dark, picture);
    assert_true(best > 100);
    assert_true(dark > 100);
    assert_true(picture > 20000); /* most of the 240x120 block */
    remove(shot);
    remove(pic);
    rmdir(plots);
    remove(path);
    rmdir(dir);
}

/* The inline script sorts: a click on "PSNR [dB]" orders the rows ascending
 * (the leaderboard starts descending), seen in the DOM Chromium dumps. */
static void test_chromium_sort(void **state)
{
    (void)state;
    if (access("/usr/bin/chromium", X_OK) != 0) {
        VSR_SKIP("/usr/bin/chromium is absent (optional)");
    }
    char dir[256], path[512], cmd[4096], dom[600];
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    make_page(dir, path, sizeof(path));
    char *html = vsr_test_slurp(path);
    assert_non_null(html);
    /* Before: 31 dB ("A&B") first. */
    assert_true(strstr(html, "A&amp;B") < strstr(html, "&lt;script&gt;alert"));
    char *end = strstr(html, "</body>");
    assert_non_null(end);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite(html, 1, (size_t)(end - html), f);
    fputs("<script>document.querySelectorAll('th')[4].click();</script>\n</body>\n</html>\n",
          f);
    fclose(f);
    free(html);
    snprintf(dom, sizeof(dom), "%s/dom.html", dir);
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic "
             "--no-first-run --disable-background-networking --disable-component-update "
             "--disable-sync --user-data-dir='%s/profile' --dump-dom 'file://%s' >'%s' "
             "2>/dev/null; rm -rf '%s/profile'",
             dir, path, dom, dir);
    int st = system(cmd);
    (void)st;
    char *after = vsr_test_slurp(dom);
    assert_non_null(after);
    const char *a = strstr(after, "A&amp;B"), *b = strstr(after, "&lt;script&gt;alert");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(b < a); /* 30 dB now first */
    assert_non_null(strstr(after, "data-dir=\"asc\""));
    free(after);
    remove(dom);
    remove(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker_catches_errors),
        cmocka_unit_test(test_index_well_formed),
        cmocka_unit_test(test_chromium_screenshot),
        cmocka_unit_test(test_chromium_sort),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
