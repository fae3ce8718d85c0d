"""Build data/kanji_readings.tsv from KANJIDIC2 (EDRDG, CC BY-SA 4.0).

Input: the SQLite database of the `jamdict-data` package (jamdict.db, KANJIDIC2 1.6 of April 2008
and JMnedict of 2020-05-29, compiled by jamdict), path as the first argument:

    pip download jamdict-data --no-deps && tar xzf jamdict_data-1.5.tar.gz
    xz -dk jamdict_data-1.5/jamdict_data/jamdict.db.xz
    python3 crates/chipcap-screen/scripts/kanjidic_readings.py jamdict_data-1.5/jamdict_data/jamdict.db \
        > crates/chipcap-screen/data/kanji_readings.tsv

Kept: the 6,355 kanji of JIS X 0208 (which include the joyo kanji, grades 1-8, the jinmeiyo kanji for
names, 9-10, and the older forms used in names such as 澤, 邊, 齋), with their kun readings (okurigana after `.` and affix marks `-` removed), on readings and name readings
(nanori), in that order, as kana, which chipcap romanises (Hepburn, with the usual long-vowel
spellings) when the table is loaded; and the character's Korean (Hanja) readings as given by
KANJIDIC2 in Hangul (`三星`: 삼 성, read Samsung), for Korean names written in Hanja.
"""
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
print("# Kanji readings for romanising Japanese names: kanji<TAB>readings (kana) separated by |.")
print("# Derived from KANJIDIC2 (c) Electronic Dictionary Research and Development Group, licensed")
print("# under CC BY-SA 4.0 (https://www.edrdg.org/edrdg/licence.html); built by")
print("# scripts/kanjidic_readings.py from jamdict-data 1.5 (KANJIDIC2 1.6). The kanji of JIS X 0208")
print("# (joyo, jinmeiyo and older name forms): kun readings (stems), on readings, then name readings;")
print("# third column: the Korean (Hanja) readings of KANJIDIC2, in Hangul.")
rows = db.execute(
    "select c.id, c.literal, coalesce(cast(c.grade as integer), 99) g from character c "
    "where exists (select 1 from codepoint p where p.cid = c.id and p.cp_type = 'jis208') "
    "order by g, c.id"
).fetchall()
for cid, lit, _ in rows:
    reads = []
    kun = [r for (r,) in db.execute(
        "select r.value from reading r join rm_group g on r.gid = g.id "
        "where g.cid = ? and r.r_type = 'ja_kun'", (cid,))]
    on = [r for (r,) in db.execute(
        "select r.value from reading r join rm_group g on r.gid = g.id "
        "where g.cid = ? and r.r_type = 'ja_on'", (cid,))]
    nan = [r for (r,) in db.execute("select value from nanori where cid = ?", (cid,))]
    for r in kun + on + nan:
        r = r.split(".")[0].replace("-", "").strip()
        if r and r not in reads:
            reads.append(r)
    kor = []
    for (r,) in db.execute(
        "select r.value from reading r join rm_group g on r.gid = g.id "
        "where g.cid = ? and r.r_type = 'korean_h'", (cid,)):
        r = r.strip()
        if r and r not in kor:
            kor.append(r)
    if reads or kor:
        print(f"{lit}\t{'|'.join(reads)}\t{'|'.join(kor)}")
