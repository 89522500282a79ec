#!/usr/bin/env python3
"""Documents composed in the layouts real files arrive in (portal pages,
table exports, flattened OCR lines, annexes, consolidated texts, several
documents in one file): each is parsed and its fields checked.

usage: test_layouts.py VANBAN DIR
The documents are written for this test (their bodies, names and numbers are
invented); the layouts are those of ../shared/data and of the issue reports.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from tap import check, done  # noqa: E402

VANBAN, DIR = sys.argv[1], sys.argv[2]


def parse(name):
    p = subprocess.run([VANBAN, 'parse', '--compact', os.path.join(DIR, name)], capture_output=True)
    if p.returncode != 0:
        check(False, '%s parses' % name, p.stderr.decode('utf-8', 'replace'))
        return {'documents': [], 'warnings': []}
    return json.loads(p.stdout)


def codes(out):
    return [w['code'] for w in out['warnings']]


def sig(d):
    s = d['signature'] or {}
    return (s.get('marker'), s.get('authority'), s.get('title'), s.get('name'))


def refs(d):
    return [(r['type'], r['number'], r['name']) for r in d['references']]


# a portal page: source line, title, metadata table, header as a table row
out = parse('portal_banner.md')
ds = out['documents']
check(len(ds) == 1, 'portal page: one document, not the banner or the metadata', len(ds))
d = ds[0] if ds else {}
check((d.get('number') or {}).get('raw') == '215/UBND-VX', 'portal page: number from the table cell', d.get('number'))
check(d.get('date') == '2025-01-20' and d.get('place') == 'Hòa Bình', 'portal page: place and date')
check((d.get('issuer') or {}).get('name') == 'ỦY BAN NHÂN DÂN TỈNH HÒA BÌNH',
      'portal page: issuer without the rule glued to it', d.get('issuer'))
check(d.get('subject') == 'tăng cường kiểm tra an toàn thực phẩm dịp Tết Nguyên đán',
      'portal page: subject after V/v in the number cell', d.get('subject'))
check(d.get('addressees') == ['Sở Y tế', 'Sở Công Thương', 'Ủy ban nhân dân các huyện, thành phố'],
      'portal page: addressees separated by semicolons on one line', d.get('addressees'))
check(d.get('recipients') == ['Như trên', 'Chủ tịch UBND tỉnh (b/c)', 'Lưu: VT, VX'],
      'portal page: recipients from one table cell', d.get('recipients'))
check(sig(d) == ('KT.', 'KT. CHỦ TỊCH', 'PHÓ CHỦ TỊCH', 'Trần Minh Khoa'),
      'portal page: flattened signature cell cut into marker, post and name', sig(d))
check('preamble' in codes(out), 'portal page: the banner is reported as a preamble', codes(out))

# YAML front matter, metadata with a signing marker, a portal section after
out = parse('front_matter.md')
ds = out['documents']
check(len(ds) == 1, 'front matter: one document', len(ds))
d = ds[0] if ds else {}
check((d.get('number') or {}).get('raw') == '48/QĐ-UBND' and d.get('date') == '2025-03-14',
      'front matter: number and date of the document, not of the metadata')
check((d.get('issuer') or {}).get('name') == 'ỦY BAN NHÂN DÂN HUYỆN TAM ĐƯỜNG',
      'front matter: issuer wrapped over two bold lines', d.get('issuer'))
check([s['label'] for s in d.get('sections', [])] == ['Điều 1.', 'Điều 2.', 'Điều 3.'],
      'front matter: the enacting formula after the body is not a section',
      [s['label'] for s in d.get('sections', [])])
check(('Nghị định', '102/2024/NĐ-CP', None) not in refs(d),
      "front matter: the portal's related texts are not references", refs(d))
check('preamble' in codes(out) and 'trailer' in codes(out),
      'front matter: preamble and trailer reported', codes(out))

# the national name and the motto inside body sentences
out = parse('motto_in_body.txt')
ds = out['documents']
check(len(ds) == 1, 'motto in the body: no new document in the middle', len(ds))
d = ds[0] if ds else {}
check(sig(d)[3] == 'Phạm Văn Tâm', 'motto in the body: the signature stays with its document', sig(d))

# annexes: an attached regulation, a Phụ lục, a form with its own header
out = parse('annexes.txt')
ds = out['documents']
check(len(ds) == 1, 'annexes: one document, the attached texts are its annexes', len(ds))
d = ds[0] if ds else {}
check([(a['label'], a['title']) for a in d.get('annexes', [])] ==
      [('QUY CHẾ', 'Quản lý cụm công nghiệp trên địa bàn tỉnh'), ('PHỤ LỤC I', 'DANH MỤC CỤM CÔNG NGHIỆP'),
       ('Mẫu số 01', None),
       ('Phụ lục II', 'DANH MỤC THỦ TỤC HÀNH CHÍNH VỀ ĐẦU TƯ XÂY DỰNG HẠ TẦNG KỸ THUẬT CỤM CÔNG NGHIỆP '
        'THUỘC PHẠM VI QUẢN LÝ CỦA SỞ CÔNG THƯƠNG TỈNH LAI CHÂU')],
      'annexes: labels and titles in order (the last flattened with its "kèm theo" note)',
      [(a['label'], a['title']) for a in d.get('annexes', [])])
check(all(a['span'] and a['span'][0] < a['span'][1] for a in d.get('annexes', [])), 'annexes: spans')
check(d.get('recipients') == ['Như Điều 2', 'Lưu: VT, KT'] and sig(d)[3] == 'Đỗ Văn Bình',
      'annexes: the scanned signature image is no recipient', (d.get('recipients'), sig(d)))
check(('Nghị định', '32/2024/NĐ-CP', None) in refs(d), 'annexes: citations inside an annex count', refs(d))
check([s['label'] for s in d.get('sections', [])] == ['Điều 1.', 'Điều 2.'],
      "annexes: the regulation's articles are not the decision's sections")

# a flattened header and a flattened tail, citations cut by a line break
out = parse('flattened.txt')
d = (out['documents'] or [{}])[0]
check((d.get('issuer') or {}).get('name') == 'SỞ TÀI CHÍNH' and
      (d.get('issuer') or {}).get('parent') == 'UBND TỈNH YÊN BÁI',
      'flattened: issuer and parent on one line with the national header', d.get('issuer'))
check((d.get('number') or {}).get('raw') == '318/STC-QLNS' and d.get('date') == '2025-07-08' and
      d.get('place') == 'Yên Bái', 'flattened: number, place and date from one line')
check(d.get('subject') == 'hướng dẫn lập dự toán ngân sách năm 2026', 'flattened: subject', d.get('subject'))
check(d.get('addressees') == ['Các sở, ban, ngành thuộc tỉnh'],
      'flattened: the addressee ends where the body begins', d.get('addressees'))
check(sig(d) == ('KT.', 'KT. GIÁM ĐỐC', 'PHÓ GIÁM ĐỐC', 'Nguyễn Văn Hòa'),
      'flattened: signature after the recipients on the same line', sig(d))
check(d.get('recipients') == ['Như trên', 'UBND tỉnh (b/c)',
                              'Kho bạc Nhà nước khu vực, các phòng chuyên môn thuộc Sở', 'Lưu: VT, QLNS'],
      'flattened: a list wrapped over two lines, "; - Lưu" on the second', d.get('recipients'))
r = refs(d)
check(('Luật', '67/2020/QH14', None) in r, "flattened: 'Luật số' / '67/2020/QH14' across a line break", r)
check(('Luật', None, 'Luật Giá') in r and ('Nghị định', '85/2024/NĐ-CP', None) in r,
      "flattened: 'Luật Giá được sửa đổi … bởi Nghị định số 85/2024/NĐ-CP' is two references", r)
check(('Luật', None, 'Luật đất đai') in r, 'flattened: a law cited by its name in lower case', r)

# a Party header flattened by OCR, its tone misread ("ĐÁNG"), and the type
# line followed by the organ that adopts it ("CỦA BAN THƯỜNG VỤ HUYỆN ỦY"):
# the header's committee is the issuer, the organ does not replace it
out = parse('party_ocr_header.txt')
d = (out['documents'] or [{}])[0]
check(d.get('format') == 'party' and d.get('national_header') == 'ĐÁNG CỘNG SẢN VIỆT NAM',
      'party OCR header: the national header found though its tone is misread', d.get('national_header'))
check((d.get('issuer') or {}).get('name') == 'HUYỆN ỦY MƯỜNG TÈ' and not (d.get('issuer') or {}).get('inferred'),
      'party OCR header: the committee of the header is the issuer, not the organ under the type',
      d.get('issuer'))
check((d.get('number') or {}).get('raw') == '15 -NQ/HU' and d.get('date') == '2025-03-10',
      'party OCR header: number and date', (d.get('number'), d.get('date')))

# signatures: a rank and no marker, a name glued to the last recipient, a
# bare TL., Party markers T/M and K/T
out = parse('signatures.txt')
ds = out['documents']
check(len(ds) == 4, 'signatures: four documents', len(ds))
if len(ds) == 4:
    check(sig(ds[0]) == (None, None, 'BỘ TRƯỞNG', 'Phan Hải Đăng'), 'signatures: a rank is not part of the name',
          sig(ds[0]))
    check(sig(ds[1]) == ('KT.', 'KT. GIÁM ĐỐC', 'PHÓ GIÁM ĐỐC', 'Vũ Thị Lan') and
          ds[1]['recipients'] == ['Như trên', 'Lưu: VT, QLXD'],
          "signatures: a name glued to the 'Lưu:' item", (sig(ds[1]), ds[1]['recipients']))
    check(sig(ds[2]) == ('TL.', 'TL. BỘ TRƯỞNG, CHỦ NHIỆM', 'VỤ TRƯỞNG VỤ KINH TẾ TỔNG HỢP', 'Trần Quốc Bảo'),
          'signatures: a bare TL. line takes the next line as its authority', sig(ds[2]))
    check(sig(ds[3]) == ('T/M', 'T/M BAN THƯỜNG VỤ / K/T BÍ THƯ', 'PHÓ BÍ THƯ THƯỜNG TRỰC', 'Hoàng Văn Sơn')
          and ds[3]['format'] == 'party', 'signatures: stacked Party markers', sig(ds[3]))

# a consolidated text: header without a number, XÁC THỰC block at the end
out = parse('consolidated.txt')
ds = out['documents']
check(len(ds) == 1, 'consolidated: one document', len(ds))
d = ds[0] if ds else {}
check((d.get('type') or {}).get('name') == 'Văn bản hợp nhất' and
      (d.get('number') or {}).get('raw') == '09/VBHN-BNV' and d.get('date') == '2025-02-12',
      'consolidated: type, number and date from the authentication block')
check(d.get('subject') == 'Hướng dẫn chế độ phụ cấp đối với công chức làm công tác lưu trữ',
      "consolidated: the subject is the title, not the signer's name", d.get('subject'))
check((d.get('issuer') or {}).get('name') == 'BỘ NỘI VỤ' and sig(d)[3] == 'Vũ Đăng Minh',
      'consolidated: issuer and signer of the authentication')
check('furniture' in codes(out), 'consolidated: running heads are furniture', codes(out))

# two documents, each with its own header and signature
out = parse('two_documents.txt')
ds = out['documents']
check(len(ds) == 2, 'two documents: both found', len(ds))
if len(ds) == 2:
    check((ds[0]['number'] or {}).get('raw') == '402/UBND-VP' and (ds[1]['number'] or {}).get('raw') == '14/HD-SNV',
          'two documents: each its own number')
    check((ds[1]['type'] or {}).get('name') == 'Hướng dẫn' and ds[1]['date'] == '2025-06-02',
          'two documents: the second one whole')
    check(ds[0]['span'][1] <= ds[1]['span'][0], 'two documents: spans do not overlap')

# a portal's copy that prints the type first, then number, date, issuer and
# national header, a rule between them, and the type again above the subject
out = parse('type_first.md')
ds = out['documents']
check(len(ds) == 1, 'type first: one document', len(ds))
d = ds[0] if ds else {}
check((d.get('number') or {}).get('raw') == '21/2026/TT-BYT' and d.get('date') == '2026-04-14',
      'type first: number and date above the issuer')
check(d.get('issuer') == {'name': 'BỘ Y TẾ', 'parent': None, 'inferred': False},
      'type first: the issuer printed below the date is the issuer, not the subject', d.get('issuer'))
check(d.get('subject') == 'Hướng dẫn khám sức khỏe định kỳ cho người lao động',
      'type first: the subject after the rule and the repeated type', d.get('subject'))
check([s['label'] for s in d.get('sections', [])] == ['Điều 1.', 'Điều 2.'],
      'type first: the header lines are not sections', [s['label'] for s in d.get('sections', [])])

# no issuer line: the number's code names the body; a number with a dot
out = parse('no_issuer_line.md')
d = (out['documents'] or [{}])[0]
check((d.get('number') or {}).get('raw') == '66.9/2026/NQ-CP' and (d.get('number') or {}).get('number') == '66.9',
      'no issuer line: a number with a dot', d.get('number'))
check(d.get('issuer') == {'name': 'CHÍNH PHỦ', 'parent': None, 'inferred': True},
      'no issuer line: issuer inferred from NQ-CP', d.get('issuer'))
check((d.get('spans') or {}).get('issuer') is not None and
      (d.get('spans') or {}).get('issuer') == (d.get('spans') or {}).get('number'),
      'no issuer line: the inferred issuer points at the number')

# the type and its subject on one line, the number's code saying which type
out = parse('licence.txt')
d = (out['documents'] or [{}])[0]
check((d.get('type') or {}).get('name') == 'Giấy phép' and d.get('subject') == 'KHAI THÁC NƯỚC DƯỚI ĐẤT',
      'licence: type and subject on one line', (d.get('type'), d.get('subject')))
check((d.get('issuer') or {}).get('name') == 'ỦY BAN NHÂN DÂN TỈNH YÊN PHÚC',
      'licence: a provincial code gives no inferred issuer; the header does', d.get('issuer'))

# a consolidated text cut by the gazette: the title in capitals ends where the
# sentence-case history of amendments begins; the part title is furniture
out = parse('gazette_parts.txt')
d = (out['documents'] or [{}])[0]
check(d.get('subject') == 'THƯ VIỆN', 'gazette part: the title ends before the history', d.get('subject'))
check((d.get('type') or {}).get('name') == 'Luật', 'gazette part: type', d.get('type'))
check(('Luật', '46/2019/QH14', 'Luật Thư viện') in refs(d), 'gazette part: the law consolidated is a reference',
      refs(d))

# OCR of a scan read the signature column onto the lines of the list
out = parse('ocr_columns.txt')
d = (out['documents'] or [{}])[0]
check(d.get('recipients') == ['Ban Bí thư Trung ương Đảng', 'Thủ tướng, các Phó Thủ tướng Chính phủ',
                              'Các bộ, cơ quan ngang bộ', 'Văn phòng Chủ tịch nước',
                              'Hội đồng Dân tộc và các Ủy ban của Quốc hội', 'Bộ Nội vụ; Bộ Tài chính',
                              'Cơ quan trung ương của các đoàn thể', 'Lưu: VT, KGVX'],
      'two columns: the list without the signature column', d.get('recipients'))
check(sig(d) == ('TM.', 'TM.CHÍNH PHỦ / KT. THỦ TƯỚNG', 'PHÓ THỦ TƯỚNG', 'Trần Văn Khải'),
      'two columns: marker, post and name taken from the ends of list lines', sig(d))

# a subject that cites a number and a date; a date whose digits are split
out = parse('subject_citation.txt')
d = (out['documents'] or [{}])[0]
check(d.get('subject') == 'VỀ VIỆC BAN HÀNH KẾ HOẠCH TRIỂN KHAI THỰC HIỆN QUYẾT ĐỊNH SỐ 12/QĐ-TTG '
      'NGÀY 05 THÁNG 3 NĂM 2024 CỦA THỦ TƯỚNG CHÍNH PHỦ',
      "subject citation: the cited number and date stay in the subject", d.get('subject'))
check((d.get('number') or {}).get('raw') == '1452/QĐ-UBND' and d.get('date') == '2024-06-18',
      'subject citation: the document\'s own number and date ("ngày 1 8 tháng 0 6")',
      (d.get('number'), d.get('date')))

# a draft exported from a word processor: cells between pipes, number and
# date left blank, addressees on their own lines after a bare "Kính gửi:"
out = parse('draft_export.txt')
d = (out['documents'] or [{}])[0]
check((d.get('issuer') or {}).get('name') == 'UỶ BAN NHÂN DÂN TỈNH HÀ TRUNG',
      'draft export: the issuer cell without the pipes', d.get('issuer'))
check(d.get('number') is None and d.get('date') is None and d.get('place') == 'Hà Trung',
      'draft export: a blank number and date are not invented; the place is kept',
      (d.get('number'), d.get('date'), d.get('place')))
check(d.get('subject') == 'Tình hình thực hiện công tác cải cách hành chính quý III năm 2026',
      'draft export: subject', d.get('subject'))
check(d.get('addressees') == ['Sở Nội vụ', 'Văn phòng Ủy ban nhân dân tỉnh'],
      'draft export: addressees without dashes under a bare Kính gửi', d.get('addressees'))

# an amending decree quotes whole articles: the quoted labels are not the
# document's sections
out = parse('amendments.txt')
d = (out['documents'] or [{}])[0]
check([s['label'] for s in d.get('sections', [])] == ['Điều 1.', 'Điều 2.', 'Điều 3.'],
      'amendments: the quoted "Điều 12a." is not a section of the decree',
      [s['label'] for s in d.get('sections', [])])
kids = [c['label'] for c in (d.get('sections') or [{}])[0].get('children', [])]
check(kids == ['1.', '2.'], 'amendments: the quoted items are not items of Điều 1', kids)

# a consolidated text's footnote quotes a preamble across a page, around
# body text: the numbering goes on after the closing mark, so the articles
# inside are the document's
out = parse('footnote_quote.txt')
d = (out['documents'] or [{}])[0]
check([s['label'] for s in d.get('sections', [])] == ['Điều 1.', 'Điều 2.', 'Điều 3.'],
      'footnote quote: the articles around which a footnote quote runs stay sections',
      [s['label'] for s in d.get('sections', [])])

# a steering committee's head signs with two posts in one table cell
out = parse('signature_posts.md')
d = (out['documents'] or [{}])[0]
check(sig(d) == (None, None, 'TRƯỞNG BAN', 'Lê Minh Quang'),
      'two posts: the post signed in, not the office held; the name after both', sig(d))

# markdown: the name in underscores; an annex title with digits that OCR
# put between the marker and the post is not the post
out = parse('markdown_signature.md')
d = (out['documents'] or [{}])[0]
check(sig(d) == ('TM.', 'TM. CHÍNH PHỦ', 'THỦ TƯỚNG', 'Nguyễn Văn Hùng'),
      'markdown signature: underscores are emphasis; a line with digits is no post', sig(d))

# citations wrapped at a line's end, in the body and across a table's cells
out = parse('table_citations.txt')
d = (out['documents'] or [{}])[0]
rs = [(r['type'], r['number'], r['name'], r['date']) for r in d.get('references', [])]
check(('Luật', None, 'Luật Tổ chức Chính quyền địa phương', '2025-06-16') in rs,
      'table citations: a law name wrapped over two lines', rs)
check(('Nghị quyết', '23/NQ-CP', None, '2026-02-07') in rs,
      'table citations: a number cut after its hyphen, its date in the next cell', rs)

# every document of every layout has a header field
for name in sorted(os.listdir(DIR)):
    if name.endswith('.py'):
        continue
    for i, d in enumerate(parse(name)['documents']):
        check(any([d['number'], d['date'], d['issuer'], d['type'], d['national_header']]),
              '%s document %d has a header field' % (name, i + 1))
# recipients: debris a scan leaves after ';', a lone mark, and the "Lưu" item
# closing the list (a report's items and a portal's notes after it are not
# recipients); the count of copies stays in the "Lưu" item
out = parse('recipients_debris.md')
d = out['documents'][0] if out['documents'] else {}
check(d.get('recipients') == ['Như trên', 'Bộ trưởng (để b/cáo)', 'Vụ Pháp chế', 'Cục Lâm nghiệp',
                              'Lưu: VT, KHTC (3)'],
      'recipients: debris cut, the list closed by "Lưu"', d.get('recipients'))
check(sig(d) == ('KT.', 'KT. BỘ TRƯỞNG', 'THỨ TRƯỞNG', 'Lê Minh Khang'), 'recipients_debris: signature', sig(d))

# an annex that lists its forms before giving them: the listed rows are not
# annexes of their own, each form is one
out = parse('annex_listing.txt')
d = out['documents'][0] if out['documents'] else {}
labels = [a['label'] for a in d.get('annexes', [])]
check(labels == ['Phụ lục', 'Mẫu số 01', 'Mẫu số 02'], 'annex listing: each form once', labels)
check(len(out['documents']) == 1, 'annex listing: one document', len(out['documents']))

# a heading given twice in a row (markdown heading, then text) is one
# section; the same label again after content is a section of its own
out = parse('heading_twice.md')
d = out['documents'][0] if out['documents'] else {}
top = [(x['label'], x['title']) for x in d.get('sections', [])]
check(top == [('Chương I', 'QUY ĐỊNH CHUNG'), ('Chương II', 'LƯU TRỮ HỒ SƠ'), ('Chương II', 'LƯU TRỮ HỒ SƠ')],
      'heading twice: one section; repeated after content: two', top)

done()
