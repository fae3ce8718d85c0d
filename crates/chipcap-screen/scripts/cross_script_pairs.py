"""Build testdata/screening/cross-script-pairs.csv: labelled pairs of a name written in its own
script against a Latin-script name, with hard negatives.

    python3 crates/chipcap-screen/scripts/cross_script_pairs.py > testdata/screening/cross-script-pairs.csv

Sources (see testdata/screening/cross-script-pairs.md): persons are public figures whose native
name and usual romanisations are given in the lead of their Wikipedia articles and, for sanctioned
persons, in the OFAC SDN list and the EU consolidated list (which carry the Latin spellings used
here, e.g. `Usama bin Ladin`, `Muammar Qadhafi`); company and vessel names are composed from those
name words and from business words and legal forms with their standard translations (Wiktionary,
the company laws cited in data/legal_forms.tsv). Romanisations follow the standards named for each
script (ALA-LC and customary Arabic, ISO 259 and customary Hebrew, ELOT 743, RR and MR for Korean,
Hepburn, Pinyin, RTGS, the customary Burmese system, Hunterian).

Hard negatives: the same surname with another given name (other-given-name), the same given name
with another surname (other-surname), another name word in a company or vessel name (other-word),
another place (other-place), another numeral (other-numeral), a sister ship (sister-ship), and a
holding against its operating company or a subsidiary with an extra word (parent-subsidiary).
Deterministic: no randomness; every list is walked in order.
"""
import csv
import sys

# (script, [(native given, native surname, [(latin given, latin surname), ...])], order)
# order: "gs" = given name first (Arabic, Persian, Hebrew, Greek, Thai, Devanagari, Cyrillic),
# "sg" = surname first (Chinese, Japanese, Korean).
PERSONS = {
    "arabic": ("gs", [
        ("حسن", "نصر الله", [("Hassan", "Nasrallah"), ("Hasan", "Nasrallah")]),
        ("أيمن", "الظواهري", [("Ayman", "al-Zawahiri"), ("Ayman", "Zawahri")]),
        ("أسامة", "بن لادن", [("Usama", "bin Ladin"), ("Osama", "bin Laden")]),
        ("بشار", "الأسد", [("Bashar", "al-Assad"), ("Bashar", "Asad")]),
        ("معمر", "القذافي", [("Muammar", "Qadhafi"), ("Moammar", "Gadhafi"), ("Muammar", "al-Gaddafi")]),
        ("صدام", "حسين", [("Saddam", "Hussein"), ("Saddam", "Husayn")]),
        ("عبد الفتاح", "السيسي", [("Abdel Fattah", "el-Sisi"), ("Abdul Fattah", "al-Sisi")]),
        ("خالد", "مشعل", [("Khaled", "Mashal"), ("Khalid", "Meshaal")]),
        ("إسماعيل", "هنية", [("Ismail", "Haniyeh"), ("Ismail", "Haniya")]),
        ("يحيى", "السنوار", [("Yahya", "Sinwar"), ("Yehia", "al-Sinwar")]),
        ("نوري", "المالكي", [("Nouri", "al-Maliki"), ("Nuri", "Maliki")]),
        ("عمر", "البشير", [("Omar", "al-Bashir"), ("Umar", "Bashir")]),
        ("مقتدى", "الصدر", [("Muqtada", "al-Sadr"), ("Moqtada", "Sadr")]),
        ("هادي", "العامري", [("Hadi", "al-Amiri"), ("Hadi", "Ameri")]),
        ("عبد الملك", "الحوثي", [("Abdul-Malik", "al-Houthi"), ("Abdulmalik", "Huthi")]),
        ("محمد", "الضيف", [("Mohammed", "Deif"), ("Muhammad", "al-Dayf")]),
        ("رامي", "مخلوف", [("Rami", "Makhlouf"), ("Rami", "Makhluf")]),
        ("ماهر", "الأسد", [("Maher", "al-Assad"), ("Mahir", "Asad")]),
        ("علي", "مملوك", [("Ali", "Mamlouk"), ("Ali", "Mamluk")]),
        ("قيس", "الخزعلي", [("Qais", "al-Khazali"), ("Qays", "Khazali")]),
        ("عبد الرحمن", "الجعفري", [("Abdul Rahman", "al-Jaafari"), ("Abdurrahman", "Jafari")]),
        ("عبد الله", "الصالح", [("Abdullah", "al-Saleh"), ("Abdallah", "Salih")]),
    ]),
    "persian": ("gs", [
        ("قاسم", "سلیمانی", [("Qasem", "Soleimani"), ("Ghasem", "Soleimani"), ("Qassem", "Suleimani")]),
        ("محمد جواد", "ظریف", [("Mohammad Javad", "Zarif"), ("Mohammed Javad", "Zarif")]),
        ("علی", "لاریجانی", [("Ali", "Larijani")]),
        ("حسن", "روحانی", [("Hassan", "Rouhani"), ("Hasan", "Rowhani")]),
        ("محمود", "احمدی نژاد", [("Mahmoud", "Ahmadinejad"), ("Mahmud", "Ahmadi-Nejad")]),
        ("ابراهیم", "رئیسی", [("Ebrahim", "Raisi"), ("Ibrahim", "Raeisi")]),
        ("حسین", "سلامی", [("Hossein", "Salami"), ("Hosein", "Salami")]),
        ("اسماعیل", "قاآنی", [("Esmail", "Qaani"), ("Ismail", "Ghaani")]),
        ("محسن", "رضایی", [("Mohsen", "Rezaei"), ("Mohsen", "Rezaee")]),
        ("امیرعلی", "حاجی زاده", [("Amir Ali", "Hajizadeh"), ("Amirali", "Hajizadeh")]),
        ("مسعود", "پزشکیان", [("Masoud", "Pezeshkian"), ("Massoud", "Pezeshkian")]),
        ("عباس", "عراقچی", [("Abbas", "Araghchi"), ("Abbas", "Araqchi")]),
    ]),
    "hebrew": ("gs", [
        ("שלמה", "כהן", [("Shlomo", "Cohen"), ("Shlomo", "Kohen")]),
        ("בנימין", "נתניהו", [("Benjamin", "Netanyahu"), ("Binyamin", "Netanyahu")]),
        ("יצחק", "רבין", [("Yitzhak", "Rabin"), ("Itzhak", "Rabin")]),
        ("אריאל", "שרון", [("Ariel", "Sharon")]),
        ("אהוד", "ברק", [("Ehud", "Barak")]),
        ("שמעון", "פרס", [("Shimon", "Peres")]),
        ("גולדה", "מאיר", [("Golda", "Meir")]),
        ("יאיר", "לפיד", [("Yair", "Lapid")]),
        ("נפתלי", "בנט", [("Naftali", "Bennett")]),
        ("אביגדור", "ליברמן", [("Avigdor", "Lieberman"), ("Avigdor", "Liberman")]),
        ("משה", "דיין", [("Moshe", "Dayan")]),
        ("דוד", "בן גוריון", [("David", "Ben-Gurion"), ("David", "Ben Gurion")]),
        ("יוסי", "כהן", [("Yossi", "Cohen"), ("Yosi", "Kohen")]),
        ("חיים", "הרצוג", [("Chaim", "Herzog"), ("Haim", "Herzog")]),
        ("יצחק", "הרצוג", [("Isaac", "Herzog"), ("Yitzhak", "Herzog")]),
        ("אברהם", "לוי", [("Avraham", "Levi"), ("Abraham", "Levy")]),
        ("רחל", "אברמוביץ", [("Rachel", "Abramovich"), ("Rahel", "Abramovitz")]),
        ("מרדכי", "שפירא", [("Mordechai", "Shapira"), ("Mordechai", "Shapiro")]),
    ]),
    "greek": ("gs", [
        ("Γεώργιος", "Παπαδόπουλος", [("Georgios", "Papadopoulos"), ("Georgios", "Papadopulos")]),
        ("Αλέξης", "Τσίπρας", [("Alexis", "Tsipras")]),
        ("Κυριάκος", "Μητσοτάκης", [("Kyriakos", "Mitsotakis"), ("Kiriakos", "Mitsotakis")]),
        ("Ανδρέας", "Παπανδρέου", [("Andreas", "Papandreou")]),
        ("Κωνσταντίνος", "Καραμανλής", [("Konstantinos", "Karamanlis"), ("Constantinos", "Karamanlis")]),
        ("Αντώνης", "Σαμαράς", [("Antonis", "Samaras")]),
        ("Γιάνης", "Βαρουφάκης", [("Yanis", "Varoufakis"), ("Gianis", "Varoufakis")]),
        ("Ευάγγελος", "Βενιζέλος", [("Evangelos", "Venizelos")]),
        ("Ντόρα", "Μπακογιάννη", [("Dora", "Bakoyannis"), ("Dora", "Bakogianni")]),
        ("Νίκος", "Χριστοδουλίδης", [("Nikos", "Christodoulides"), ("Nicos", "Christodoulidis")]),
        ("Σπύρος", "Λάτσης", [("Spyros", "Latsis"), ("Spiros", "Latsis")]),
        ("Αριστοτέλης", "Ωνάσης", [("Aristotelis", "Onasis"), ("Aristoteles", "Onassis")]),
    ]),
    "cyrillic": ("gs", [
        ("Владимир", "Путин", [("Vladimir", "Putin"), ("Wladimir", "Putin")]),
        ("Сергей", "Лавров", [("Sergey", "Lavrov"), ("Sergei", "Lavrov")]),
        ("Алишер", "Усманов", [("Alisher", "Usmanov")]),
        ("Роман", "Абрамович", [("Roman", "Abramovich"), ("Roman", "Abramowitsch")]),
        ("Олег", "Дерипаска", [("Oleg", "Deripaska")]),
        ("Геннадий", "Тимченко", [("Gennady", "Timchenko"), ("Gennadiy", "Timtchenko")]),
        ("Игорь", "Сечин", [("Igor", "Sechin"), ("Igor", "Setchine")]),
        ("Дмитрий", "Медведев", [("Dmitry", "Medvedev"), ("Dmitrii", "Medvedev")]),
        ("Евгений", "Пригожин", [("Yevgeny", "Prigozhin"), ("Evgeniy", "Prigozhin")]),
        ("Александр", "Лукашенко", [("Alexander", "Lukashenko"), ("Aleksandr", "Lukashenka")]),
    ]),
    "chinese": ("sg", [
        ("近平", "习", [("Jinping", "Xi"), ("Jin Ping", "Xi")]),
        ("克强", "李", [("Keqiang", "Li")]),
        ("正非", "任", [("Zhengfei", "Ren"), ("Zheng Fei", "Ren")]),
        ("晚舟", "孟", [("Wanzhou", "Meng")]),
        ("毅", "王", [("Yi", "Wang")]),
        ("家宝", "温", [("Jiabao", "Wen")]),
        ("锦涛", "胡", [("Jintao", "Hu")]),
        ("泽民", "江", [("Zemin", "Jiang")]),
        ("小平", "邓", [("Xiaoping", "Deng")]),
        ("云", "马", [("Yun", "Ma")]),
        ("化腾", "马", [("Huateng", "Ma")]),
        ("雷", "李", [("Lei", "Li")]),
        ("军", "雷", [("Jun", "Lei")]),
        ("嘉诚", "李", [("Jiacheng", "Li")]),
    ]),
    "japanese": ("sg", [
        ("一郎", "鈴木", [("Ichiro", "Suzuki"), ("Ichirou", "Suzuki")]),
        ("角栄", "田中", [("Kakuei", "Tanaka")]),
        ("晋三", "安倍", [("Shinzo", "Abe"), ("Shinzou", "Abe")]),
        ("文雄", "岸田", [("Fumio", "Kishida")]),
        ("義偉", "菅", [("Yoshihide", "Suga")]),
        ("純一郎", "小泉", [("Junichiro", "Koizumi"), ("Jun'ichiro", "Koizumi")]),
        ("太郎", "山田", [("Taro", "Yamada"), ("Tarou", "Yamada")]),
        ("花子", "佐藤", [("Hanako", "Sato"), ("Hanako", "Satou")]),
        ("健一", "高橋", [("Kenichi", "Takahashi")]),
        ("誠", "伊藤", [("Makoto", "Ito"), ("Makoto", "Itoh")]),
        ("大輔", "渡辺", [("Daisuke", "Watanabe")]),
        ("直樹", "中村", [("Naoki", "Nakamura")]),
        ("浩", "小林", [("Hiroshi", "Kobayashi")]),
        ("裕子", "加藤", [("Yuko", "Kato"), ("Yuuko", "Katou")]),
        ("翔太", "山本", [("Shota", "Yamamoto"), ("Shouta", "Yamamoto")]),
        ("由美", "山崎", [("Yumi", "Yamazaki"), ("Yumi", "Yamasaki")]),
    ]),
    "korean": ("sg", [
        ("근혜", "박", [("Geun-hye", "Park"), ("Kun-hye", "Pak"), ("Geunhye", "Bak")]),
        ("정은", "김", [("Jong Un", "Kim"), ("Jeong-eun", "Gim"), ("Jong-un", "Kim")]),
        ("정일", "김", [("Jong Il", "Kim"), ("Jeong-il", "Gim")]),
        ("명박", "이", [("Myung-bak", "Lee"), ("Myeong-bak", "Yi")]),
        ("재명", "이", [("Jae-myung", "Lee"), ("Jaemyeong", "Rhee")]),
        ("순실", "최", [("Soon-sil", "Choi"), ("Sun-sil", "Choe")]),
        ("여정", "김", [("Yo Jong", "Kim"), ("Yeo-jeong", "Gim")]),
        ("석열", "윤", [("Suk-yeol", "Yoon"), ("Seok-yeol", "Yun")]),
        ("재인", "문", [("Jae-in", "Moon"), ("Jae-in", "Mun")]),
        ("무현", "노", [("Moo-hyun", "Roh"), ("Mu-hyeon", "No")]),
        ("대중", "김", [("Dae-jung", "Kim"), ("Tae-jung", "Kim")]),
        ("건희", "이", [("Kun-hee", "Lee"), ("Geon-hui", "Yi")]),
        ("용", "최", [("Yong", "Choe"), ("Yong", "Choi")]),
        ("선", "강", [("Sun", "Kang"), ("Seon", "Gang")]),
        ("철", "정", [("Chol", "Jong"), ("Cheol", "Jeong"), ("Chul", "Chung")]),
        ("영철", "김", [("Yong Chol", "Kim"), ("Yeong-cheol", "Gim")]),
        ("수미", "한", [("Soo-mi", "Han"), ("Sumi", "Han")]),
        ("민준", "조", [("Min-jun", "Cho"), ("Minjun", "Jo")]),
    ]),
    "thai": ("gs", [
        ("สมศักดิ์", "เทพสุทิน", [("Somsak", "Thepsuthin"), ("Somsak", "Thepsutin")]),
        ("ทักษิณ", "ชินวัตร", [("Thaksin", "Shinawatra"), ("Thaksin", "Chinnawat")]),
        ("ยิ่งลักษณ์", "ชินวัตร", [("Yingluck", "Shinawatra"), ("Yinglak", "Chinnawat")]),
        ("ประยุทธ์", "จันทร์โอชา", [("Prayut", "Chan-o-cha"), ("Prayuth", "Chanocha")]),
        ("อภิสิทธิ์", "เวชชาชีวะ", [("Abhisit", "Vejjajiva"), ("Aphisit", "Wetchachiwa")]),
        ("เศรษฐา", "ทวีสิน", [("Srettha", "Thavisin"), ("Settha", "Thawisin")]),
        ("แพทองธาร", "ชินวัตร", [("Paetongtarn", "Shinawatra"), ("Phaethongthan", "Chinnawat")]),
        ("ประวิตร", "วงษ์สุวรรณ", [("Prawit", "Wongsuwan"), ("Prawit", "Wongsuwon")]),
        ("อนุทิน", "ชาญวีรกูล", [("Anutin", "Charnvirakul"), ("Anuthin", "Chanwirakun")]),
        ("สมชาย", "วงศ์สวัสดิ์", [("Somchai", "Wongsawat")]),
    ]),
    "devanagari": ("gs", [
        ("नरेन्द्र", "मोदी", [("Narendra", "Modi")]),
        ("राहुल", "गांधी", [("Rahul", "Gandhi")]),
        ("अमित", "शाह", [("Amit", "Shah")]),
        ("मुकेश", "अंबानी", [("Mukesh", "Ambani")]),
        ("गौतम", "अदाणी", [("Gautam", "Adani")]),
        ("रतन", "टाटा", [("Ratan", "Tata")]),
        ("अरविंद", "केजरीवाल", [("Arvind", "Kejriwal")]),
        ("मनमोहन", "सिंह", [("Manmohan", "Singh")]),
        ("सोनिया", "गांधी", [("Sonia", "Gandhi")]),
        ("पुष्प", "कमल दहाल", [("Pushpa", "Kamal Dahal")]),
        ("शेर बहादुर", "देउवा", [("Sher Bahadur", "Deuba")]),
        ("विजय", "माल्या", [("Vijay", "Mallya")]),
    ]),
}

# Burmese names have no surname: whole names with their customary romanisations.
BURMESE = [
    ("ကျော်ကျော်", ["Kyaw Kyaw"]),
    ("အောင်ဆန်းစုကြည်", ["Aung San Suu Kyi", "Aung San Su Kyi"]),
    ("မင်းအောင်လှိုင်", ["Min Aung Hlaing"]),
    ("စိုးဝင်း", ["Soe Win"]),
    ("သိန်းစိန်", ["Thein Sein"]),
    ("ဝင်းမြင့်", ["Win Myint"]),
    ("ထင်ကျော်", ["Htin Kyaw", "Tin Kyaw"]),
    ("သန်းရွှေ", ["Than Shwe"]),
    ("မောင်အေး", ["Maung Aye"]),
    ("ခင်ညွန့်", ["Khin Nyunt"]),
    ("ဇော်မင်းထွန်း", ["Zaw Min Tun", "Zaw Min Htun"]),
    ("မြင့်ဆွေ", ["Myint Swe"]),
    ("တေဇ", ["Tay Za", "Te Za"]),
    ("ဦးကျော်ဇော်ထွန်း", ["U Kyaw Zaw Htun"]),
    ("အောင်ကြယ်", ["Aung Kyal", "Aung Kyel"]),
    ("ရွှေမန်း", ["Shwe Mann"]),
    ("နိုင်ဝင်း", ["Naing Win"]),
    ("ထွန်းထွန်းနောင်", ["Tun Tun Naung", "Htun Htun Naung"]),
]
# Burmese negatives: one syllable changed.
BURMESE_NEG = [
    ("ကျော်ကျော်", "Kyaw Zaw"),
    ("စိုးဝင်း", "Soe Myint"),
    ("သိန်းစိန်", "Thein Swe"),
    ("ဝင်းမြင့်", "Win Naing"),
    ("ထင်ကျော်", "Htin Aung"),
    ("သန်းရွှေ", "Than Htun"),
    ("မောင်အေး", "Maung Maung"),
    ("ခင်ညွန့်", "Khin Maung"),
    ("ဇော်မင်းထွန်း", "Zaw Min Aung"),
    ("မြင့်ဆွေ", "Myint Aung"),
    ("မင်းအောင်လှိုင်", "Min Aung Htun"),
    ("အောင်ဆန်းစုကြည်", "Aung San Win"),
    ("ရွှေမန်း", "Shwe Win"),
    ("နိုင်ဝင်း", "Naing Aung"),
]

# Companies: (script, native name word, [Latin spellings]) x business word x legal form.
NAME_WORDS = {
    "arabic": [("الراشد", ["Al Rashid", "Alrashid"]), ("الخليج", ["Al Khaleej", "Al Khalij"]),
               ("النور", ["Al Noor", "Al Nour"]), ("الفجر", ["Al Fajr", "Al Fajer"]),
               ("السلام", ["Al Salam", "Assalam"]), ("البركة", ["Al Baraka", "Al Barakah"])],
    "persian": [("پارس", ["Pars"]), ("آریا", ["Arya", "Aria"]), ("سپهر", ["Sepehr"]),
                ("کیمیا", ["Kimia", "Kimiya"]), ("نوین", ["Novin"]), ("ایمن", ["Imen", "Iman"])],
    "hebrew": [("שאלתיאל", ["Shaltiel"]), ("אלביט", ["Elbit"]), ("גבעון", ["Givon", "Gibeon"]),
               ("כרמל", ["Carmel", "Karmel"]), ("ארזים", ["Arazim"]), ("תבור", ["Tavor", "Tabor"])],
    "greek": [("Αιγαίον", ["Aigaion", "Egeon"]), ("Ολυμπος", ["Olympos", "Olimpos"]),
              ("Ποσειδών", ["Poseidon", "Posidon"]), ("Αστήρ", ["Astir", "Aster"]),
              ("Δελφοί", ["Delfoi", "Delphi"]), ("Κρήτη", ["Kriti", "Kritis"])],
    "cyrillic": [("Вектор", ["Vektor", "Vector"]), ("Звезда", ["Zvezda"]), ("Восток", ["Vostok"]),
                 ("Альфа", ["Alfa", "Alpha"]), ("Сибирь", ["Sibir"]), ("Урал", ["Ural"])],
    "chinese": [("华为", ["Huawei"]), ("中兴", ["Zhongxing"]), ("海康", ["Haikang"]),
                ("长江", ["Changjiang"]), ("远大", ["Yuanda"]), ("东方", ["Dongfang"])],
    "japanese": [("三菱", ["Mitsubishi"]), ("住友", ["Sumitomo"]), ("丸紅", ["Marubeni"]),
                 ("日立", ["Hitachi"]), ("東芝", ["Toshiba"]), ("川崎", ["Kawasaki"])],
    "korean": [("삼성", ["Samsung", "Samseong"]), ("현대", ["Hyundai", "Hyeondae"]),
               ("대우", ["Daewoo", "Daeu"]), ("한화", ["Hanwha", "Hanhwa"]),
               ("금강", ["Kumgang", "Geumgang"]), ("대동", ["Daedong", "Taedong"])],
    "thai": [("สยาม", ["Siam", "Sayam"]), ("ไทย", ["Thai"]), ("กรุงเทพ", ["Krungthep"]),
             ("ศรีสวัสดิ์", ["Srisawat", "Sisawat"]), ("มงคล", ["Mongkol", "Mongkhon"]),
             ("สมบูรณ์", ["Somboon", "Sombun"])],
    "burmese": [("ရွှေ", ["Shwe"]), ("ရတနာ", ["Yadanar", "Yadana"]), ("မင်္ဂလာ", ["Mingalar", "Mingala"]),
                ("အောင်", ["Aung"]), ("ဇေယျာ", ["Zeya", "Zayya"]), ("ထွန်း", ["Htun", "Tun"])],
    "devanagari": [("भारत", ["Bharat"]), ("गंगा", ["Ganga"]), ("हिमालय", ["Himalaya"]),
                   ("सूर्य", ["Surya"]), ("लक्ष्मी", ["Lakshmi", "Laxmi"]), ("कावेरी", ["Kaveri", "Cauvery"])],
}
# (native business word, English) per script, and the legal form (native, English).
BUSINESS = {
    "arabic": ([("للتجارة", "Trading"), ("للنقل", "Transport"), ("للصناعات", "Industries")], ("ذ.م.م", "LLC")),
    "persian": ([("بازرگانی", "Trading"), ("کشتیرانی", "Shipping"), ("صنایع", "Industries")], ("سهامی خاص", "Private Joint Stock Company")),
    "hebrew": ([("הובלות", "Transport"), ("תעשיות", "Industries"), ("לוגיסטיקה", "Logistics")], ("בע\"מ", "Ltd")),
    "greek": ([("Ναυτιλιακή", "Shipping"), ("Εμπορική", "Trading"), ("Βιομηχανία", "Industries")], ("Α.Ε.", "S.A.")),
    "cyrillic": ([("Логистика", "Logistics"), ("Холдинг", "Holding"), ("Технологии", "Technologies")], ("ООО", "LLC")),
    "chinese": ([("贸易", "Trading"), ("物流", "Logistics"), ("科技", "Technology")], ("有限公司", "Co., Ltd.")),
    "japanese": ([("商事", "Trading"), ("海運", "Shipping"), ("工業", "Industries")], ("株式会社", "Co., Ltd.")),
    "korean": ([("무역", "Trading"), ("물류", "Logistics"), ("해운", "Shipping")], ("주식회사", "Co., Ltd.")),
    "thai": ([("การค้า", "Trading"), ("ขนส่ง", "Transport"), ("อุตสาหกรรม", "Industries")], ("จำกัด", "Co., Ltd.")),
    "burmese": ([("ကုန်သွယ်ရေး", "Trading"), ("ပို့ဆောင်ရေး", "Logistics"), ("ထုတ်လုပ်ရေး", "Manufacturing")], ("ကုမ္ပဏီလီမိတက်", "Company Limited")),
    "devanagari": ([("ट्रेडिंग", "Trading"), ("इंडस्ट्रीज", "Industries"), ("लॉजिस्टिक्स", "Logistics")], ("प्राइवेट लिमिटेड", "Private Limited")),
}
HOLDING = {"arabic": ("القابضة", "Holding"), "persian": ("هلدینگ", "Holding"), "hebrew": ("אחזקות", "Holdings"),
           "greek": ("Συμμετοχών", "Holdings"), "cyrillic": ("Инвест", "Invest"), "chinese": ("控股", "Holdings"),
           "japanese": ("ホールディングス", "Holdings"), "korean": ("홀딩스", "Holdings"), "thai": ("โฮลดิ้ง", "Holding"),
           "burmese": ("အုပ်စု", "Group"), "devanagari": ("समूह", "Group")}
# Native place word and its English name, for other-place negatives.
PLACES = {"arabic": ("دبي", "Dubai"), "persian": ("تهران", "Tehran"), "hebrew": ("חיפה", "Haifa"),
          "greek": ("Πειραιάς", "Piraeus"), "cyrillic": ("Москва", "Moskva"), "chinese": ("上海", "Shanghai"),
          "japanese": ("大阪", "Osaka"), "korean": ("부산", "Busan"), "thai": ("ภูเก็ต", "Phuket"),
          "burmese": ("ရန်ကုန်", "Yangon"), "devanagari": ("मुंबई", "Mumbai")}
# Native digits of each script for vessel numbers (ASCII where the script uses them).
DIGITS = {"arabic": "٠١٢٣٤٥٦٧٨٩", "persian": "۰۱۲۳۴۵۶۷۸۹", "burmese": "၀၁၂၃၄၅၆၇၈၉",
          "thai": "๐๑๒๓๔๕๖๗๘๙", "devanagari": "०१२३४५६७८९"}


def digits(script, n):
    d = DIGITS.get(script)
    return "".join(d[int(c)] for c in str(n)) if d else str(n)


def join(script, *parts):
    # Chinese and Japanese names are written without spaces.
    sep = "" if script in ("chinese", "japanese") else " "
    return sep.join(p for p in parts if p)


rows = []


def add(script, cls, n1, n2, match, note=""):
    rows.append(["cross_script", script, n1, n2, "true" if match else "false", "", cls, note, script])


for script, (order, people) in PERSONS.items():
    for k, (giv, sur, latins) in enumerate(people):
        native = join(script, sur, giv) if order == "sg" else f"{giv} {sur}"
        for lg, ls in latins:
            latin = f"{ls} {lg}" if order == "sg" else f"{lg} {ls}"
            add(script, "person", native, latin, True)
        # Hard negatives against the next and the one after (walk in order, no randomness).
        other = people[(k + 1) % len(people)]
        other2 = people[(k + 3) % len(people)]
        lg, ls = latins[0]
        og = other[2][0][0]
        os_ = other2[2][0][1]
        if og.lower() != lg.lower():
            latin = f"{ls} {og}" if order == "sg" else f"{og} {ls}"
            add(script, "other-given-name", native, latin, False)
        if os_.lower() != ls.lower():
            latin = f"{os_} {lg}" if order == "sg" else f"{lg} {os_}"
            add(script, "other-surname", native, latin, False)

for nat, latins in BURMESE:
    for l in latins:
        add("burmese", "person", nat, l, True)
for nat, l in BURMESE_NEG:
    add("burmese", "other-given-name", nat, l, False)

for script, words in NAME_WORDS.items():
    biz, (nform, lform) = BUSINESS[script]
    hold_n, hold_l = HOLDING[script]
    place_n, place_l = PLACES[script]
    for k, (nw, lws) in enumerate(words):
        bn, bl = biz[k % len(biz)]
        native = join(script, nw, bn, nform) if script not in ("chinese", "japanese", "korean") else (
            join(script, nform, nw, bn) if script == "japanese" and k % 2 else join(script, nw, bn, nform))
        for lw in lws:
            add(script, "company", native, f"{lw} {bl} {lform}", True)
        # Without the legal form on the Latin side, and the business word only romanised.
        add(script, "company", native, f"{lws[0]} {bl}", True)
        ow = words[(k + 1) % len(words)][1][0]
        add(script, "other-word", native, f"{ow} {bl} {lform}", False)
        add(script, "parent-subsidiary", join(script, nw, hold_n, nform), f"{lws[0]} {bl} {lform}", False)
        add(script, "other-place", join(script, nw, place_n, bn, nform), f"{lws[0]} {bl} {lform}", False)
        # Vessels: name word + number; another numeral; a sister ship with another name word.
        num = 3 + k
        vessel = join(script, nw, digits(script, num)) if script not in ("chinese", "japanese") else f"{nw}{num}"
        add(script, "vessel", vessel, f"MV {lws[0]} {num}", True)
        add(script, "other-numeral", vessel, f"MV {lws[0]} {num + 1}", False)
        add(script, "sister-ship", vessel, f"MV {ow} {num}", False)

w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["case_group", "schema", "name1", "name2", "is_match", "quality", "category", "notes", "script"])
for r in rows:
    w.writerow(r)
