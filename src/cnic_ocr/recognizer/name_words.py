"""Words common in Pakistani names: evidence for a name reading over its rival.

A name read with a strong second choice for one letter is doubtful ("Ali" or "All"?). When
the reading is made of common name words and the rival reading is not, the rival is a
misread, not another name: the card prints names, not English words. Nothing is decided by
this list against a reading: a name of rare words is answered as before, on the engine's
confidence alone. Written from general knowledge of given and family names across the
provinces (several spellings each); it is not drawn from any card.
"""

from __future__ import annotations

NAME_WORDS: frozenset[str] = frozenset(
    """
    Aadil Aamir Aamna Abbas Abbasi Abdul Abdullah Abdur Abed Abid Achakzai Adil Adnan Afaq
    Afridi Aftab Afzal Ahmad Ahmadullah Ahmed Ahsan Aijaz Ain Aisha Ajab Ajmal Akbar Akhlaq
    Akhtar Akhter Akmal Akram Alam Alamgir Aleem Ali Alia Aliya Allah Altaf Alvi Aman Amanullah
    Ameen Amin Aminullah Amir Amjad Amna Anam Anees Anis Anjum Ansar Ansari Anum Anwaar Anwar
    Anwarullah Anwer Aqsa Arain Arbab Areeba Arham Arif Arooj Arshad Arslan Asad Asadullah
    Asghar Ashfaq Ashfaque Ashiq Ashraf Asif Aslam Asma Asmaa Asmat Ata Atif Atta Attiya
    Aurangzeb Awais Awan Ayan Ayaz Ayesha Ayisha Ayub Ayyub Azam Azeem Azhar Azim Aziz Azmat
    Azmatullah Babar Bacha Badshah Bahadar Bahadur Bahram Baig Bajwa Bakhsh Bakht Bakhtawar
    Bakhtiar Baksh Baloch Bangash Bano Baqi Bari Barkat Barkatullah Basharat Bashir Basit Beg
    Begum Behram Bhatti Bhutto Bibi Bilal Bugti Bukhari Buksh Bushra Butt Bux Chandio Chattha
    Chaudhary Chaudhry Cheema Choudhry Danish Daud Dawar Dawood Deen Dhund Dil Dilawar Din Ditta
    Dogar Dost Dreshak Durrani Ehsan Ehtesham Ehtisham Ejaz Elahi Erum Essa Fahad Faheem Fahim
    Faisal Faiz Faiza Faizan Faizullah Fakhar Fakir Faqeer Faqir Farah Faraz Fareed Farhan Farid
    Fariha Farooq Farooqi Farrukh Faruq Farzana Fatima Fatma Fawad Fayyaz Fazal Fazl Fazli
    Fazlullah Fiaz Fida Fouzia Fozia Fraz Fuad Furqan Ghaffar Ghafoor Ghani Ghayas Ghazala
    Ghazanfar Ghazi Ghias Ghulam Gilani Gillani Gohar Gondal Goraya Gorchani Gujar Gujjar Gul
    Gulab Gulalai Gulfam Gulnaz Gulshan Gulzar Habeeb Habib Habibullah Hadi Hafeez Hafiz Hafsa
    Hai Haider Hajani Haji Hajira Hajra Hakeem Hakim Haleem Halim Hamayun Hameed Hameeda
    Hameedullah Hamid Hamida Hamidullah Hammad Hamza Haneef Hanif Haq Haque Haris Haroon Harun
    Hasan Hashim Hashmat Hashmi Hasnain Hassaan Hassan Hayat Hayee Hazara Hazrat Hidayat
    Hidayatullah Hikmat Hikmatullah Hilal Hina Hozaifa Huma Humaira Humayun Husain Husnain
    Hussain Hussian Hussnain Huzaifa Hyder Ibrahim Ibrar Idrees Idris Ifra Iftikhar Ihsan
    Ihsanullah Ijaz Ikhlaq Ikram Ikramullah Ilahi Ilyas Imran Imranullah Imtiaz Inam Inamullah
    Inayat Intizar Iqbal Iqra Iqrar Iram Irfan Irfanullah Irshad Isa Ishaq Ishfaq Ishtiaq Ismail
    Ismailullah Israr Izzat Izzatullah Jabbar Jafar Jaffar Jafri Jahan Jahangir Jahanzaib Jalal
    Jaleel Jalil Jamal Jamali Jameel Jameela Jamil Jamila Jamroz Jamrud Jamshaid Jamshed Jan
    Janan Janjua Jatoi Jatt Javaid Javed Javeria Javid Jehan Jehangir Joiya Junaid Junejo Jutt
    Kainat Kakar Kaleem Kaleemullah Kalim Kalsoom Kamal Kamran Kanwal Karam Kareem Karim
    Karimullah Kashif Kayani Kazi Kazim Kazmi Khadija Khaista Khaleel Khalid Khalil Khaliq Khan
    Khani Khatoon Khattak Khatun Khawaja Khel Khial Khista Khokhar Khoso Khuda Khurram Khursheed
    Khurshid Khushal Khushdil Khushhal Khwaja Kifayat Kifayatullah Kiran Kiyani Komal Kulsoom
    Laghari Lal Lateef Latif Latifullah Leghari Liaqat Liaquat Lodhi Lodi Lubna Luqman Madiha
    Madni Magsi Maham Mahar Mahboob Mahdi Mahmood Mahmud Mahnoor Mahreen Mahtab Mahwish Maimoona
    Mairaj Majeed Majid Majida Makhdoom Malalai Malang Malik Mandokhail Mannan Mansoor Mansur
    Manzoor Maqbool Maqsood Mariam Marri Maryam Masood Mast Masud Mateen Maulana Mazari Mazhar
    Meer Mehak Mehboob Mehdi Mehmand Mehmood Mehr Mehran Mehreen Mehsud Mehtab Mehwish Memon
    Memoona Mengal Meraj Mian Minhas Mir Mirza Misbah Miskeen Moazzam Moeen Mohammad Mohammed
    Mohib Mohmand Mohsan Mohsin Moin Moiz Molvi Momand Momin Muazzam Mubarak Mubashar Mubashir
    Mubeen Mudasir Mudassar Mudassir Muddassir Mufti Mughal Muhabbat Muhammad Muhammadullah
    Muhammed Muhib Muhmood Muhsin Muiz Mujahid Mujeeb Mujtaba Mukarram Mukhtar Mukhtiar Mumtaz
    Munawar Muneer Munir Muqeet Murad Murtaza Musa Mushahid Musharraf Mushtaq Mustafa Muzaffar
    Nabi Nabila Nadeem Nadia Nadir Naeem Naghma Naheed Nahid Naik Naila Naimat Najam Najeeb
    Najib Najibullah Naqash Naqeeb Naqibullah Naqvi Nargis Nasar Naseeb Naseem Naseema Naseer
    Nasib Nasim Nasir Nasreen Nasrin Nasrullah Nauman Naveed Navid Nawab Nawaz Nazar Nazeer
    Nazia Nazim Nazir Nazo Nek Nekzad Nematullah Niaz Niazi Nida Nighat Nimra Nisar Noman Noon
    Noor Noreen Nosheen Nouman Numan Nur Obaid Obaidullah Omar Orakzai Osman Owais Pacha
    Palwasha Parveen Parveena Parvez Pathan Pervaiz Perveen Pervez Pir Pirzada Qadar Qadeer
    Qadir Qaisar Qaiser Qamar Qasim Qavi Qayum Qayyum Qazi Qismat Quddus Qurat Quratulain
    Qureshi Rabia Rafay Rafi Rafia Rafiq Rafique Rafiullah Rahat Raheela Raheem Rahila Rahim
    Rahimullah Rahman Rahmat Rahmatullah Raja Rajput Rakha Rameez Ramiz Rana Ranjha Raoof
    Rasheed Rasheeda Rashid Rashida Rasool Rasul Rauf Rayyan Raza Razaq Razia Razzaq Rehan
    Rehana Rehman Rehmat Rehmatullah Reza Riaz Rida Riffat Rimsha Rind Rizvi Rizwaan Rizwan
    Rizwanullah Robina Roshan Roz Rozi Rubina Rukhsana Saad Saadat Saadia Sabir Sabur Sabz Sadaf
    Sadaqat Sadia Sadiq Sadiqa Sadiqullah Saeed Saeeda Saeedullah Safdar Safia Safiya Sagheer
    Saghir Sahib Sahibzada Said Saida Saif Saifullah Saima Saira Sajawal Sajid Sajida Sajjad
    Sakhawat Salam Salar Saleem Saleh Salim Salma Salman Samad Samandar Sameena Sami Samina
    Samiullah Samra Sana Sanaullah Sandhu Sania Sanober Saqib Sardar Sarfraz Sarwar Sattar Satti
    Sayed Shabana Shabbir Shabnam Shad Shafi Shafiq Shafique Shafiullah Shafqat Shagufta Shah
    Shahab Shahbaz Shaheen Shahid Shahida Shahjahan Shahnawaz Shahzad Shahzada Shahzaib Shaikh
    Shaista Shakeel Shakeela Shakil Shakila Shakir Shakoor Shakur Shamaila Shamim Shams Shamsa
    Shamshad Shamsher Shan Sharafat Shareef Sharif Sharifullah Shaukat Shazia Shehbaz Shehzad
    Sheikh Sher Sherin Sherzada Shinwari Shireen Shirin Shoaib Shoukat Shumaila Sial Siddiq
    Siddiqi Siddique Siddiqui Sidra Sikandar Sobia Sohail Sohrab Sonia Soomro Sughra Suhail
    Sulaiman Suleman Sulman Sultan Sumaira Sumbal Sumera Sumro Sundus Swati Syed Tabassum Taha
    Tahir Tahira Tahmina Taimoor Taimur Taj Talha Tanoli Tanveer Tanvir Tanzeel Tanzeela Tanzil
    Tarar Tareen Tarin Tariq Tasleem Taslim Tauqeer Tawab Tayyab Tayyaba Tehmina Tiwana Tooba
    Toor Tor Tuba Tufail Ubaid Ubaidullah Ud Uddin Ul Ullah Umair Umar Umeed Umer Unar Ur Urooj
    Uroosa Urwa Usman Usmani Uwais Uzma Virk Wadood Wahab Waheed Wahid Wajid Wajidullah Wajiha
    Wakeel Wakil Waleed Wali Walid Waliullah Waqar Waqas Warda Waris Warraich Wasay Waseem Wasim
    Wattoo Wazir Wiqar Wisal Yaar Yahya Yakub Yameen Yamin Yaqoob Yaqub Yar Yasir Yasmeen Yasmin
    Yasmina Yasser Yawar Younas Younis Yousaf Yousafzai Yousuf Yunus Yusra Yusuf Yusufzai
    Zabihullah Zabiullah Zafar Zaheen Zaheer Zahid Zahida Zahidullah Zahir Zahoor Zahra Zahur
    Zai Zaib Zaid Zaidi Zain Zainab Zakariya Zakia Zakir Zakirullah Zakiya Zakria Zaman Zameer
    Zamir Zar Zara Zarah Zareen Zarghun Zarif Zarin Zarlasht Zarmeena Zarmina Zeb Zeba Zeenat
    Zeeshan Zia Ziarat Ziaullah Zishan Zohaib Zohair Zoya Zubaida Zubair Zubeda Zuhaib Zulfikar
    Zulfiqar Zunaira
    """.lower().split()
)
