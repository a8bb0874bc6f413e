//! Table-driven tests: one message per shape, and what the detector must find in it.

use super::*;

fn d() -> Detector {
    Detector::new()
}

#[test]
fn names_where_senders_put_them() {
    // (text, the name expected, how it was recognised)
    let cases: &[(&str, &str, &str)] = &[
        // introductions, fr/nl/en/de
        ("Bonjour, je m'appelle Marie Dupont et j'habite à Namur.", "Marie Dupont", "introduction"),
        ("Goedendag, mijn naam is Jan Van den Broeck, ik woon in Gent.", "Jan Van den Broeck", "introduction"),
        ("Hello, my name is Mrs Margaret Hughes, from Schaerbeek.", "Margaret Hughes", "introduction"),
        ("Hallo, ich heiße Anna Schröder und wohne in St. Vith.", "Anna Schröder", "introduction"),
        ("Guten Tag, mein Name ist Stefan Kessler.", "Stefan Kessler", "introduction"),
        ("Sehr geehrte Damen und Herren, ich bin Ayşe Yılmaz, wohnhaft in Eupen.", "Ayşe Yılmaz", "introduction"),
        ("Je soussignée, Mme Anne-Sophie de Hemptinne, demeurant à Uccle", "Anne-Sophie de Hemptinne", "introduction"),
        ("Ondergetekende, mevr. Els Van der Linden, wonende te Antwerpen", "Els Van der Linden", "introduction"),
        ("hallo mijn naam is ayoub el idrissi, ik woon in Borgerhout", "ayoub el idrissi", "introduction"),
        ("hallo ich bin max müller, wohne in Raeren", "max müller", "introduction"),
        // a salutation, then the name
        ("Bonjour,\nOlivier Renson, avenue de Tervueren 212, 1150 Woluwe.", "Olivier Renson", "salutation"),
        ("Monsieur,\nGuillaume Petitjean, 2 place de la Mairie", "Guillaume Petitjean", "salutation"),
        ("Hallo, met Sarah Goossens, Nieuwstraat 56", "Sarah Goossens", "salutation"),
        // titles at the start of a line
        ("M. Thomas Lefèvre\n12 bis, rue Victor Hugo", "Thomas Lefèvre", "title"),
        ("Mme Fatima El Amrani\nRue de Mons 140", "Fatima El Amrani", "title"),
        ("Dhr. Koen Vermeulen\nGrote Markt 7", "Koen Vermeulen", "title"),
        ("Mevrouw Ingrid Hermans\nBeukenlaan 31", "Ingrid Hermans", "title"),
        ("Herr Markus Hoffmann\nGoethestr. 48", "Markus Hoffmann", "title"),
        ("Frau Petra Neumann, Postfach 10 20 30", "Petra Neumann", "title"),
        ("Mr. Andrew Patel\nBoulevard de Waterloo 76", "Andrew Patel", "title"),
        ("Dr Ahmed Khan\nRue Marie-Thérèse 11", "Ahmed Khan", "title"),
        // signatures
        ("Je conteste la majoration.\nCordialement,\nPierre-Yves Van Damme\nRue du Bailli 41", "Pierre-Yves Van Damme", "signature"),
        ("Ik wil bezwaar indienen.\n\nMet vriendelijke groeten,\nWouter Van den Bossche", "Wouter Van den Bossche", "signature"),
        ("I object to the penalty.\nKind regards,\nMichael O'Connor", "Michael O'Connor", "signature"),
        ("hiermit lege ich Einspruch ein.\n\nMit freundlichen Grüßen\nThomas Becker\nLindenweg 7a", "Thomas Becker", "signature"),
        ("Hochachtungsvoll\nFriedrich von Bülow\nSchillerplatz 2", "Friedrich von Bülow", "signature"),
        ("Veuillez agréer mes salutations distinguées.\nJacques d'Ursel", "Jacques d'Ursel", "signature"),
        ("Respectueusement,\nDUPUIS Martine\nPlace du Marché 3", "DUPUIS Martine", "signature"),
        ("Graag aanpassen. Mvg, Nele Verbeke – nele@example.be", "Nele Verbeke", "signature"),
        ("Merci d'en accuser réception.\n--\nValérie Hennaut\nAvenue de la Toison d'Or 77", "Valérie Hennaut", "signature"),
        // "… ici / hier / here"
        ("Karim Benali ici. J'ai reçu deux fois le même avis.", "Karim Benali", "here"),
        ("Hanne Peeters hier. Ik heb niets ontvangen.", "Hanne Peeters", "here"),
        ("John Whitaker here. I'm writing to ask for a copy.", "John Whitaker", "here"),
        // labels and "on behalf"
        ("Demande officielle : Jean-Marc Leroy, 27 rue Nationale", "Jean-Marc Leroy", "label"),
        ("Officieel verzoek van Lotte De Smet (Veldstraat 112)", "Lotte De Smet", "on behalf"),
        ("Nom : Benoît Mercier\nDomicile : 5, impasse des Lilas", "Benoît Mercier", "label"),
        ("Naam: Fien Van Acker\nAdres: Oudenaardsesteenweg 77", "Fien Van Acker", "label"),
        ("Name: Ms Hannah Schultz-Reed\nAddress: Avenue de Broqueville 12", "Hannah Schultz-Reed", "label"),
        ("Absender: Herr Dieter Schwarz\nHubertusweg 3", "Dieter Schwarz", "label"),
        ("Nom : Dubois\nPrénom : Claire\nAdresse : Chaussée de Wavre 210", "Claire Dubois", "form fields"),
        ("Vorname: Julia\nNachname: Zimmermann\nStraße: Am Markt 3", "Julia Zimmermann", "form fields"),
        // a name line just before the address or the e-mail
        ("Je demande un délai.\nMarc Colin, rue des Carmes 22, 7000 Mons", "Marc Colin", "before address or e-mail"),
        ("Merci de m'envoyer l'attestation.\nHélène Garnier\nhelene.garnier@example.fr", "Hélène Garnier", "before address or e-mail"),
        // compound names
        ("Bonjour, je suis Jean-Pierre Dubois-Martin, domicilié à Lille.", "Jean-Pierre Dubois-Martin", "introduction"),
        ("Mijn naam is Jan-Willem van der Meer-Smits, Herengracht 500", "Jan-Willem van der Meer-Smits", "introduction"),
        ("Met vriendelijke groet,\nBram ter Horst", "Bram ter Horst", "signature"),
        ("Hallo, ik ben Daan de Vries.", "Daan de Vries", "introduction"),
    ];
    for (text, name, how) in cases {
        let id = d().identify(text);
        assert_eq!(id.name.as_deref(), Some(*name), "{text}\n -> {id:?}");
        let span = id
            .spans
            .iter()
            .find(|s| s.element == Element::Name)
            .unwrap();
        assert_eq!(span.how, *how, "{text}");
    }
}

#[test]
fn capitalised_words_that_are_no_sender_name() {
    let cases: &[&str] = &[
        "Le bureau déménage rue des Bourgeois 7, 5000 Namur, a indiqué le porte-parole Olivier Marchal.",
        "J'ai parlé avec M. Robert Janssens au guichet, il m'a dit de vous écrire.",
        "Sehr geehrte Frau Müller,\nich habe eine Frage zur Steuererklärung.",
        "Bonjour Madame Dupont,\nmerci pour votre réponse.",
        "Madame,\nVeuillez trouver ci-joint le duplicata.\nCordialement,\nService Contact\nSPF Finances",
        "Hallo,\nKönnen Sie mir helfen? Die Steuererklärung ist weg.",
        "Geachte heer,\nIn bijlage vindt u het duplicaat.\nMet vriendelijke groeten,\nDienst Contact\nFOD Financiën",
        "Rue Neuve 5\n1000 Bruxelles",
        "Coucou, le délai est-il prolongé ? Bises, Sophie",
        "« Je demande qu'on me rembourse », confie Annick Lemoine, une retraitée de Seraing.",
        "Der FÖD Finanzen sucht Steuerprüfer. Ansprechpartnerin: Frau Heike Lambertz.",
    ];
    for text in cases {
        let id = d().identify(text);
        assert_eq!(id.name, None, "{text}\n -> {:?}", id.spans);
    }
}

#[test]
fn addresses_in_belgian_french_dutch_german_formats() {
    // (text, the address expected, None when there is none)
    let cases: &[(&str, Option<&str>)] = &[
        (
            "Rue de la Loi 16 bte 3, 1000 Bruxelles",
            Some("Rue de la Loi 16 bte 3, 1000 Bruxelles"),
        ),
        (
            "Kerkstraat 12 bus 4\n9000 Gent",
            Some("Kerkstraat 12 bus 4, 9000 Gent"),
        ),
        (
            "Avenue Louise 54/3, B-1050 Ixelles",
            Some("Avenue Louise 54/3, B-1050 Ixelles"),
        ),
        (
            "avenue de Tervueren 212 boîte 8, 1150 Woluwe-Saint-Pierre",
            Some("avenue de Tervueren 212 boîte 8, 1150 Woluwe-Saint-Pierre"),
        ),
        (
            "12 bis, rue Victor Hugo\n69002 Lyon",
            Some("12 bis, rue Victor Hugo, 69002 Lyon"),
        ),
        ("BP 45, 84000 Avignon", Some("BP 45, 84000 Avignon")),
        (
            "15 avenue de la République, 75541 Paris Cedex 11",
            Some("15 avenue de la République, 75541 Paris Cedex 11"),
        ),
        (
            "Spui 70\n2511 BT Den Haag",
            Some("Spui 70, 2511 BT Den Haag"),
        ),
        (
            "Postbus 1234, 3500 AB Utrecht",
            Some("Postbus 1234, 3500 AB Utrecht"),
        ),
        (
            "Laan van Meerdervoort 45, 2517 AB Den Haag",
            Some("Laan van Meerdervoort 45, 2517 AB Den Haag"),
        ),
        (
            "Goethestr. 48\n80336 München",
            Some("Goethestr. 48, 80336 München"),
        ),
        (
            "Aachener Straße 12, 4700 Eupen",
            Some("Aachener Straße 12, 4700 Eupen"),
        ),
        ("Am Markt 3, 4730 Raeren", Some("Am Markt 3, 4730 Raeren")),
        (
            "Postfach 10 20 30, 53105 Bonn",
            Some("Postfach 10 20 30, 53105 Bonn"),
        ),
        (
            "Hauptstraße 5, 4780 St. Vith",
            Some("Hauptstraße 5, 4780 St. Vith"),
        ),
        (
            "14 Elm Grove\nBristol BS8 2QT",
            Some("14 Elm Grove, Bristol BS8 2QT"),
        ),
        (
            "9 Elm Park, Dublin D04 X2K8",
            Some("9 Elm Park, Dublin D04 X2K8"),
        ),
        (
            "j'habite rue du Moulin 8 à 5000 Namur.",
            Some("rue du Moulin 8, 5000 Namur"),
        ),
        (
            "im at rue de l'eglise 14 in 1300 wavre",
            Some("rue de l'eglise 14, 1300 wavre"),
        ),
        // one part alone is no address
        ("Le SPF Impôts au 1000 Bruxelles ouvre à 9h", None),
        ("Accueil super au bureau de la rue Neuve ce matin.", None),
        ("J'habite rue Neuve 5 depuis dix ans.", None),
        (
            "During 2024 The office moved twice, said 1000 Visitors.",
            None,
        ),
        ("Ik woon in Gent, 9000 Gent.", None),
    ];
    for (text, want) in cases {
        let id = d().identify(text);
        assert_eq!(id.address.as_deref(), *want, "{text}\n -> {:?}", id.spans);
    }
}

#[test]
fn emails_plain_or_obfuscated() {
    let cases: &[(&str, Option<&str>, &str)] = &[
        (
            "Mon e-mail : marie.dupont@example.be",
            Some("marie.dupont@example.be"),
            "plain",
        ),
        (
            "py.vandamme [at] example [dot] be",
            Some("py.vandamme@example.be"),
            "obfuscated",
        ),
        (
            "écrivez à chloe.baudoux(at)example.be",
            Some("chloe.baudoux@example.be"),
            "obfuscated",
        ),
        (
            "mail: nathalie.roux (at) example.fr",
            Some("nathalie.roux@example.fr"),
            "obfuscated",
        ),
        (
            "email kevin.walsh at example dot com",
            Some("kevin.walsh@example.com"),
            "obfuscated",
        ),
        (
            "mail: ilse.maes [at] example [punt] be",
            Some("ilse.maes@example.be"),
            "obfuscated",
        ),
        (
            "lena.wagner [at] example [punkt] be",
            Some("lena.wagner@example.be"),
            "obfuscated",
        ),
        (
            "répondez sur lucas.martin arobase example point fr svp",
            Some("lucas.martin@example.fr"),
            "obfuscated",
        ),
        (
            "mail mij op tom.janssens apenstaartje example.be",
            Some("tom.janssens@example.be"),
            "obfuscated",
        ),
        (
            "holger.vogt klammeraffe example.de",
            Some("holger.vogt@example.de"),
            "obfuscated",
        ),
        (
            "john.smith at example.com",
            Some("john.smith@example.com"),
            "obfuscated",
        ),
        (
            "antoine.vasseur(arobase)example.fr",
            Some("antoine.vasseur@example.fr"),
            "obfuscated",
        ),
        // not addresses
        ("Have a look at myminfin.be for the form", None, ""),
        ("Let's meet at 10.30 at the office", None, ""),
        ("@SPFFinances toujours rien", None, ""),
        ("We arrive at Brussels. Please wait", None, ""),
    ];
    for (text, want, how) in cases {
        let id = d().identify(text);
        assert_eq!(id.email.as_deref(), *want, "{text}");
        if want.is_some() {
            let span = id
                .spans
                .iter()
                .find(|s| s.element == Element::Email)
                .unwrap();
            assert_eq!(span.how, *how, "{text}");
        }
    }
}

#[test]
fn requests_and_messages_that_ask_for_nothing() {
    let asks: &[&str] = &[
        "Je demande le réexamen de mon dossier.",
        "Je sollicite un plan de paiement.",
        "Veuillez m'envoyer le formulaire.",
        "Merci de me répondre rapidement.",
        "Pourriez-vous vérifier mon dossier ?",
        "Ik verzoek u om uitstel.",
        "Graag een afbetalingsplan.",
        "Gelieve mij een kopie te bezorgen.",
        "I request a review of my assessment.",
        "Please send me the form.",
        "I am writing to ask for a copy.",
        "Ich beantrage die Erstattung.",
        "Bitte schicken Sie mir das Formular.",
        "hiermit lege ich Einspruch ein.",
        "Je vous adresse une réclamation contre la cotisation.",
        "Via deze weg vraag ik een uitstel van betaling aan.",
        "Hierbij wil ik u vragen om een kopie.",
        "I hereby lodge an objection against my assessment.",
        "Où en est le traitement de ma réclamation ?",
        "Wanneer krijg ik mijn terugbetaling?",
    ];
    for text in asks {
        assert!(d().identify(text).request.is_some(), "{text}");
    }
    let tells: &[&str] = &[
        "Un grand merci pour le remboursement reçu ce matin !",
        "Pour votre information, j'ai déménagé le mois dernier.",
        "Hartelijk dank voor de snelle terugbetaling.",
        "Just wanted to say thank you for sorting out my refund.",
        "Herzlichen Dank für die schnelle Rückerstattung!",
        "Le tribunal a condamné mardi un comptable de 52 ans.",
    ];
    for text in tells {
        assert_eq!(d().identify(text).request, None, "{text}");
    }
}

#[test]
fn a_formal_request_needs_all_four_elements() {
    // (text, name, address, email, request)
    let cases: &[(&str, bool, bool, bool, bool)] = &[
        (
            "Bonjour, je m'appelle Marie Dupont, j'habite 12 rue de la Loi, 1000 Bruxelles. Je demande le réexamen de mon avertissement-extrait de rôle. Mon e-mail : marie.dupont@example.be",
            true, true, true, true,
        ),
        (
            "Madame, Monsieur,\nJe conteste la majoration appliquée.\nAdresse : avenue Louise 54, 1050 Ixelles\nmarie.d@example.org\nCordialement,\nMarie Dupont",
            true, true, true, true,
        ),
        (
            "Ik wil bezwaar indienen tegen mijn aanslagbiljet.\nFrankrijklei 5, 2000 Antwerpen\nan.peeters@example.be\nMet vriendelijke groeten,\nAn Peeters",
            true, true, true, true,
        ),
        (
            "Hello, my name is John Smith, 221B Baker Street, London NW1 6XE, john.smith@example.co.uk. I request a review of my assessment.",
            true, true, true, true,
        ),
        (
            "Sehr geehrte Damen und Herren,\nich bitte um Fristverlängerung.\nMit freundlichen Grüßen\nThomas Becker\nLindenweg 7a\n52062 Aachen\nthomas.becker [at] example [dot] de",
            true, true, true, true,
        ),
        // one element missing each time
        ("Je m'appelle Marie Dupont, 12 rue de la Loi, 1000 Bruxelles. Je demande un délai de paiement.", true, true, false, true),
        ("Je m'appelle Marie Dupont, écrivez-moi à marie@example.be pour mon remboursement.", true, false, true, true),
        ("12 rue de la Loi, 1000 Bruxelles, marie@example.be : où en est mon remboursement ?", false, true, true, true),
        ("Un grand merci pour le remboursement !\nÉlise Moreau\nrue des Prés 9, 4020 Liège\nelise.moreau@example.be", true, true, true, false),
        // ordinary messages: nothing
        ("Bonjour, MyTax est en panne, quand sera-t-il rétabli ?", false, false, false, false),
        ("Is the tax return deadline extended because the website is down again?", false, false, false, false),
    ];
    for (text, name, address, email, request) in cases {
        let id = d().identify(text);
        let got = (
            id.name.is_some(),
            id.address.is_some(),
            id.email.is_some(),
            id.request.is_some(),
        );
        assert_eq!(
            got,
            (*name, *address, *email, *request),
            "{text}\n -> {id:?}"
        );
        assert_eq!(
            id.is_formal_request(),
            *name && *address && *email && *request,
            "{text}"
        );
        assert_eq!(
            d().formal_request(text).is_some(),
            id.is_formal_request(),
            "{text}"
        );
    }
}

const SIGNED: &str = "Bonjour,\nmerci de revoir mon dossier.\nCordialement,\nPierre-Yves Van Damme\nRue du Bailli 41\n1050 Bruxelles\npy.vandamme [at] example [dot] be";

#[test]
fn the_flag_says_which_elements_where_and_how() {
    let id = d().formal_request(SIGNED).expect("a formal request");
    assert_eq!(id.found(), vec!["name", "address", "email", "request"]);
    for s in &id.spans {
        assert!(s.start < s.end && s.end <= SIGNED.len(), "{s:?}");
    }
    let name = id
        .spans
        .iter()
        .find(|s| s.element == Element::Name)
        .unwrap();
    assert_eq!(&SIGNED[name.start..name.end], "Pierre-Yves Van Damme");
    let explained = id.explain();
    assert!(explained.contains("name: signature at "), "{explained}");
    assert!(explained.contains("email: obfuscated at "), "{explained}");
    assert!(explained.contains("request: phrase at "), "{explained}");
}

#[test]
fn debug_output_and_explanations_hold_no_personal_data() {
    let id = d().identify(SIGNED);
    for shown in [format!("{id:?}"), format!("{id:#?}"), id.explain()] {
        for secret in [
            "vandamme",
            "Van Damme",
            "Pierre",
            "Bailli",
            "1050",
            "example",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}

#[test]
fn redact_masks_the_sender_and_every_email_plain_or_obfuscated() {
    let out = d().redact(SIGNED);
    for secret in ["Pierre-Yves", "Damme", "Bailli", "vandamme", "example"] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
    assert!(out.contains("merci de revoir mon dossier"), "{out}");
    assert!(out.contains("P****** V** D****"), "{out}");
    // Line breaks survive the masking.
    assert_eq!(out.lines().count(), SIGNED.lines().count(), "{out}");
    let out = d().redact("My name is John Smith, john@example.org; John Smith again");
    assert!(!out.contains("Smith") && !out.contains("john@"), "{out}");
}

#[test]
fn the_cheap_test_lets_obfuscated_addresses_through_and_stops_the_rest() {
    assert!(email::may_hold_email("a@b.be"));
    assert!(email::may_hold_email("jan [at] example [dot] be"));
    assert!(email::may_hold_email("jan(at)example.be"));
    assert!(email::may_hold_email("jan.peeters at example.be"));
    assert!(email::may_hold_email("jan at example dot be"));
    assert!(email::may_hold_email("jan arobase example point fr"));
    assert!(!email::may_hold_email(
        "MyMinfin is down at the moment, look at the site"
    ));
    assert_eq!(
        d().formal_request(
            "Je m'appelle Marie Dupont, 12 rue de la Loi, 1000 Bruxelles. Je demande un délai."
        ),
        None
    );
}
