import { type Episode } from "@lessonloop/core";
import { clip } from "@lessonloop/core/internal";
import { MAX_MEMORY_INSTRUCTIONS, MAX_MEMORY_INSTRUCTION_CHARS, type MemoryInstruction } from "./judgement.js";

/** One flagged span of a text: `start`/`end` index the text given, `text` is the span as read (see `MemoryInstructionSchema`). */
export interface MemoryInstructionSpan {
  start: number;
  end: number;
  text: string;
}

/** Options of {@link findMemoryInstructions}. */
export interface FindMemoryInstructionsOptions {
  /**
   * Whether the text is a tool's output. Then text that merely speaks to an AI
   * ("Assistant, …", "if you are an AI …") is flagged too: a tool has no
   * business addressing the agent, while a user's task naturally does.
   */
  fromTool?: boolean;
}

// ---------------------------------------------------------------- reading the text

/** Letters that look like Latin ones, folded inside words that mix scripts (or spell a Latin word in them). */
const LOOK_ALIKES: Record<string, string> = {
  а: "a", е: "e", о: "o", р: "p", с: "c", у: "y", х: "x", ѕ: "s", і: "i", ј: "j", ԁ: "d", ԛ: "q", ԝ: "w", ӏ: "l",
  А: "A", В: "B", Е: "E", К: "K", М: "M", Н: "H", О: "O", Р: "P", С: "C", Т: "T", У: "Y", Х: "X", Ѕ: "S", І: "I", Ј: "J",
  α: "a", ο: "o", ε: "e", ι: "i", κ: "k", ν: "v", ρ: "p", τ: "t", υ: "u", χ: "x",
  Α: "A", Β: "B", Ε: "E", Ζ: "Z", Η: "H", Ι: "I", Κ: "K", Μ: "M", Ν: "N", Ο: "O", Ρ: "P", Τ: "T", Υ: "Y", Χ: "X",
  ı: "i", ȷ: "j",
};
/** Characters that render as nothing (zero-width, joiners, bidi controls, variation selectors, soft hyphen …). */
const INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]/u;
/** Marks of emphasis and code in markdown (`_` is kept: patterns read it as a space). */
const MARKDOWN_MARKS = new Set(["*", "`", "~", "\\"]);
const QUOTES: Record<string, string> = { "\u2018": "'", "\u2019": "'", "\u02BC": "'", "\u2032": "'", "\u201C": '"', "\u201D": '"', "\u201E": '"', "\u00AB": '"', "\u00BB": '"' };
const ENTITIES: Record<string, string> = { "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&apos;": "'", "&amp;": "&", "&nbsp;": " " };

/** The text as the detector reads it, each UTF-16 unit mapped back to the original span it came from. */
interface Reading {
  text: string;
  from: number[];
  to: number[];
}

function read(original: string): Reading {
  const chars: string[] = [];
  const from: number[] = [];
  const to: number[] = [];
  const push = (text: string, start: number, end: number) => {
    for (const unit of text.split("")) {
      chars.push(unit);
      from.push(start);
      to.push(end);
    }
  };
  let index = 0;
  while (index < original.length) {
    let char = String.fromCodePoint(original.codePointAt(index) as number);
    let end = index + char.length;
    if (char === "&") {
      // An HTML entity reads as the character it stands for (and is then read like one).
      const entity = /^&(?:#x([0-9a-f]{1,6})|#(\d{1,7})|[a-z]{2,6});/i.exec(original.slice(index, index + 12));
      const code = entity?.[1] !== undefined ? parseInt(entity[1], 16) : entity?.[2] !== undefined ? parseInt(entity[2], 10) : undefined;
      const decoded = entity === null ? undefined : code === undefined ? ENTITIES[entity[0].toLowerCase()] : code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
      if (entity !== null && decoded !== undefined) {
        char = decoded;
        end = index + entity[0].length;
      }
    }
    const point = char.codePointAt(0) as number;
    if (point >= 0xe0020 && point <= 0xe007e) {
      // Unicode tag characters spell ASCII invisibly ("ASCII smuggling"): read what they spell.
      push(String.fromCharCode(point - 0xe0000), index, end);
    } else if ((point >= 0xe0000 && point <= 0xe007f) || (point >= 0xe0100 && point <= 0xe01ef) || INVISIBLE.test(char) || MARKDOWN_MARKS.has(char)) {
      // invisible, or markdown: not read
    } else push(QUOTES[char] ?? char.normalize("NFKC"), index, end);
    index = end;
  }

  // Look-alike letters inside words that mix Latin with them, or spell a whole word in them.
  const text = chars.join("");
  for (const word of text.matchAll(/[\p{L}\p{M}]+/gu)) {
    const letters = word[0];
    const lookAlikes = [...letters].filter((letter) => LOOK_ALIKES[letter] !== undefined).length;
    if (lookAlikes === 0) continue;
    const mixed = /[A-Za-z]/.test(letters);
    if (!mixed && (lookAlikes < letters.length || letters.length < 3)) continue;
    for (let offset = 0; offset < letters.length; offset++) {
      const folded = LOOK_ALIKES[letters[offset] as string];
      if (folded !== undefined) chars[word.index + offset] = folded;
    }
  }

  // S p a c e d - o u t words ("I G N O R E", "r.e.m.e.m.b.e.r") read as words.
  const keep = new Array<boolean>(chars.length).fill(true);
  for (const run of chars.join("").matchAll(/(?<![\p{L}\p{N}])(?:\p{L}[ .\-·]){3,}\p{L}(?![\p{L}\p{N}])/gu)) {
    for (let offset = 1; offset < run[0].length; offset += 2) keep[run.index + offset] = false;
  }
  const kept = chars.map((_char, position) => position).filter((position) => keep[position]);
  return {
    text: kept.map((position) => chars[position]).join(""),
    from: kept.map((position) => from[position] as number),
    to: kept.map((position) => to[position] as number),
  };
}

/** Where sentences, lines, brackets, tags and quoted strings begin and end. */
const SEGMENT_BREAK = /[\n\r\u2028\u2029[\]{}<>"|【】「」]|[.!?。！？](?=\s|$|["\]}>)])|[。！？]/gu;

function segmentsOf(text: string): { start: number; end: number }[] {
  const segments: { start: number; end: number }[] = [];
  let start = 0;
  for (const match of text.matchAll(SEGMENT_BREAK)) {
    const end = /[.!?。！？]/u.test(match[0]) ? match.index + 1 : match.index;
    if (end > start) segments.push({ start, end });
    start = match.index + 1;
  }
  if (start < text.length) segments.push({ start, end: text.length });
  return segments.filter(({ start: from, end }) => /[\p{L}\p{N}]/u.test(text.slice(from, end)));
}

// ---------------------------------------------------------------- what addresses the agent's memory or instructions

/** Not inside a word (works for accented letters, unlike `\b`). */
const B = "(?<![\\p{L}\\p{N}])";
const E = "(?![\\p{L}\\p{N}])";
/** Within one sentence: a few characters, no line or sentence break (dots inside addresses and numbers are fine). */
const GAP = (max: number) => `(?:[^\\n.!?。！？\\[\\]{}<>"|]|[.!?](?=[^\\s"\\]}>])){0,${max}}?`;
/** At the start of a segment: after a break, a sentence end, or a markdown lead (`#`, `>`, `-`). */
const AT_START = `(?<=^|[\\n\\r\\[\\]{}<>"|()【「:]|[.!?]\\s)[\\s#>*\\-•!\\p{So}]*`;

/** A space of a pattern, outside character classes, matches any run of whitespace (or `_`, as in `from_now_on`). */
function spaced(pattern: string): string {
  let inClass = false;
  let result = "";
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index] as string;
    if (char === "\\") {
      result += char + (pattern[index + 1] ?? "");
      index += 1;
      continue;
    }
    if (char === "[") inClass = true;
    else if (char === "]") inClass = false;
    result += char === " " && !inClass ? "[\\s_]+" : char;
  }
  return result;
}
/** Words (alternatives may hold spaces, matched as any whitespace) not inside other words. */
function words(...alternatives: string[]): string {
  return `${B}(?:${alternatives.map(spaced).join("|")})${E}`;
}
/** Phrases of scripts without spaces between words. */
function phrases(...alternatives: string[]): string {
  return `(?:${alternatives.join("|")})`;
}
const either = (...parts: string[]) => `(?:${parts.join("|")})`;

/** Whom a note is for: the AI itself, its memory, its future runs. */
const ADDRESSEE = words(
  "(?:the |all |any |every |our |this |an? )?(?:ai|a\\.i\\.|llms?|assistants?|ai assistants?|ai agents?|ai models?|agents?|language models?|large language models?|bots?|chatbots?|copilots?|gpt|chatgpt|claude|gemini)(?:'s)?",
  "yourself|self|future (?:self|you|runs?|sessions?|instances?)",
  "(?:your |the |its )?(?:long[- ]term |persistent |permanent )?memory|memories",
  // de, fr, es, it, pt, nl
  "(?:den |die |das )?(?:ki|assistenten|assistent|agenten|agent|bot|sprachmodell)|dein gedächtnis",
  "(?:l'|la |le )?(?:ia|assistant|agent|bot)|ta mémoire|votre mémoire",
  "(?:el |la )?(?:ia|asistente|agente|bot)|tu memoria",
  "(?:l'|il )?(?:ia|assistente|agente)",
  "(?:o |a )?(?:ia|assistente|agente)",
  "(?:de )?(?:ai|assistent|agent)",
);

/** The agent's own memory and standing instructions, as "your …" names them. */
const POSSESSIVE = "(?:your|yourself|ur|thy|the assistant's|the agent's|the ai's|the bot's|the model's|its own)";
const QUALIFIER = "(?:(?:long[- ]term|short[- ]term|persistent|permanent|internal|core|base|standing|original|initial|hidden|current|own|stored|saved|learned|new|updated|real|actual|true)\\s+)*";
/** Nouns that name the agent's memory or instructions on their own ("your memory", "your system prompt"). */
const MEMORY_NOUN =
  "(?:memory(?!\\s+(?:card|usage|stick|limit|slots?|modules?|upgrade|size|capacity|leaks?|is full|allocation|footprint|foam|chip|bank))|memories|lessons|lessons? learned|system prompt|system message|system instructions|programming|directives|playbook|scratchpad)";
/** Nouns that do only with a verb that changes them ("update your rules"). */
const RULE_NOUN = "(?:instructions?|rules|guidelines|notes|behaviou?r|default behaviou?r|persona|standing orders|directives|operating procedures?|system prompt)";
const WRITE_VERB =
  "(?:add|save|store|write|put|record|commit|append|insert|persist|update|change|modify|edit|rewrite|amend|adjust|patch|overwrite|extend|replace|reprogram|reconfigure)";

/** Remembering, in the imperative. */
const REMEMBER = either(
  words(
    "remember|memori[sz]e|memo[ -]?ri[sz]e|keep in mind|bear in mind|keep this in mind|don'?t (?:ever )?forget|do not (?:ever )?forget|never forget|make a (?:mental )?note|take (?:a )?note|note (?:this|that|it) down|note (?:this|that) for|learn (?:this|that|it|the following)|commit (?:this|that|it) to memory|internali[sz]e|retain (?:this|that)",
    // de
    "merke? dir|merk dir das|merken sie sich|präge? dir|vergiss (?:das )?nicht|vergessen sie nicht|denk(?:e)? daran|notier(?:e)? dir|behalte? im (?:kopf|gedächtnis)",
    // fr
    "souviens[- ]toi|souvenez[- ]vous|rappelle[- ]toi|rappelez[- ]vous|retiens|retenez|mémorise[rz]?|n'oublie(?:z)? pas|garde(?:z)? (?:bien )?en (?:tête|mémoire)|note(?:z)? bien",
    // es, it, pt, nl
    "recuerda|recuerde|acuérdate|memoriza|memorice|no olvides|no olvide|ten en cuenta|tenga en cuenta|apunta",
    "ricorda|ricordati|ricordatelo|memorizza|non dimenticare|tieni a mente|tieni presente",
    "lembre[- ]se|lembra[- ]te|memorize|memoriza|não esqueça|não se esqueça|tenha em mente|guarde isso",
    "onthoud|vergeet niet|houd in gedachten|prent (?:dit|dat) in",
    // ru
    "запомни(?:те)?|помни(?:те)?|не забывай(?:те)?|не забудь(?:те)?",
  ),
  phrases("记住", "牢记", "记下", "别忘了", "不要忘记", "覚えて", "覚えておいて", "忘れないで"),
);

/** Lasting from now on: what a one-off request does not say. */
const FROM_NOW_ON = either(
  words(
    "from now on|from this point (?:on|forward|onwards?)|from here on(?: out)?|going forward|moving forward|henceforth|hereafter|hence forward|from today (?:on|onwards?)|as of (?:now|today)|until (?:told|I say) otherwise",
    "(?:in|for|during) (?:all )?(?:the )?future (?:runs?|tasks?|requests?|conversations?|sessions?|interactions?|chats?|jobs?|tickets?|orders?|episodes?|replies|answers|emails|cases|work|invoices|refunds)",
    "(?:in|for) (?:all )?future,|in future,|for the future",
    "(?:for|in|on) (?:all|every|any|each) (?:future|subsequent|upcoming|later|following|next|new|other) (?:runs?|tasks?|requests?|conversations?|sessions?|interactions?|chats?|jobs?|tickets?|episodes?|customers?|users?|cases|times?|orders?|emails?)",
    "every time from now on",
    // de
    "ab (?:jetzt|sofort|heute|nun)(?: an)?|von (?:nun|jetzt) an|künftig|zukünftig|in zukunft|fortan|für (?:alle )?(?:künftigen|zukünftigen|weiteren|späteren|nächsten) (?:aufgaben|läufe|anfragen|gespräche|fälle|aufträge|bestellungen)",
    // fr
    "désormais|dorénavant|à partir de (?:maintenant|aujourd'hui|ce moment)|à l'avenir|(?:pour|dans) (?:toutes )?les (?:prochaines|futures) (?:fois|tâches|demandes|conversations|sessions|exécutions)",
    // es
    "a partir de ahora|de ahora en adelante|desde ahora|en (?:el )?futuro|en adelante|(?:para|en) (?:todas )?las (?:próximas|futuras) (?:veces|tareas|solicitudes|conversaciones|ejecuciones)",
    // it
    "d'ora in (?:poi|avanti)|da ora in poi|da adesso in poi|da oggi in poi|in futuro|(?:per|in) tutte le (?:prossime|future) (?:volte|attività|richieste)",
    // pt
    "a partir de agora|daqui em diante|de agora em diante|doravante|no futuro|(?:para|em) todas as (?:próximas|futuras) (?:vezes|tarefas|solicitações)",
    // nl
    "vanaf nu|voortaan|vanaf heden|in de toekomst|bij (?:alle )?(?:toekomstige|volgende) (?:taken|verzoeken|gesprekken)",
    // ru
    "с этого момента|с сегодняшнего дня|отныне|впредь|в будущем|(?:во|для) всех (?:будущих|следующих)",
  ),
  phrases("从现在开始", "从现在起", "从今以后", "从今往后", "今后", "今後(?!とも)", "次回から", "次から", "以後"),
);

/** A rule for every case, not for this one. */
const EVERY_TIME = either(
  words(
    "always|never|every time|each time|whenever|at all times|no matter what|in every case|permanently|forever|for good|by default",
    "immer|stets|nie|niemals|jedes mal|grundsätzlich|toujours|jamais|chaque fois|siempre|nunca|cada vez|sempre|mai|ogni volta|toda vez|altijd|nooit|elke keer|всегда|никогда|каждый раз",
  ),
  phrases("总是", "永远", "始终", "每次", "常に", "いつも"),
);

/** The next time, for later: what "remember" is for. */
const NEXT_TIME = either(
  words(
    "(?:the )?next time|for later|for future (?:reference|use)|for reference",
    "(?:beim )?nächsten mal|für später|la prochaine fois|pour plus tard|la próxima vez|para más tarde|la prossima volta|per dopo|da próxima vez|para depois|de volgende keer|voor later|в следующий раз|на будущее",
  ),
  phrases("下次", "次回"),
);
const LATER = either(FROM_NOW_ON, EVERY_TIME, NEXT_TIME);

/** Telling someone what to do: a modal, an insistence. */
const DIRECTIVE = either(
  words(
    "always|never|make sure|be sure|ensure|do not|don't|please|remember|you (?:will|must|should|shall|are to|need|have|may not|can't|cannot|are (?:required|expected|allowed|permitted))",
    "immer|nie|niemals|musst|sollst|solltest|bitte|stets|keinesfalls|unbedingt",
    "toujours|jamais|tu dois|vous devez|veille à|assure[- ]toi|assurez[- ]vous|s'il te plaît|s'il vous plaît",
    "siempre|nunca|debes|tienes que|asegúrate|por favor|sempre|mai|devi|assicurati|per favore|deves|certifique[- ]se",
    "altijd|nooit|je moet|u moet|zorg dat|alsjeblieft|всегда|никогда|обязательно|пожалуйста",
  ),
  phrases("总是", "永远", "始终", "请", "务必", "都要", "不要", "常に", "いつも", "必ず", "ください"),
);

/** Verbs an injected instruction starts with. */
const IMPERATIVE = words(
  "call|run|execute|send|forward|email|cc|bcc|copy|reply|answer|respond|skip|ignore|use|check|read|fetch|look up|delete|remove|refund|approve|transfer|disable|enable|set|open|write|post|upload|add|include|tell|give|do|stop|start|switch|change|update",
);

/** Setting instructions aside. */
const OVERRIDE = either(
  words(
    "ignore|disregard|forget|override|overrule|bypass|set aside|pay no attention to|do not follow|don't follow|stop following|no longer follow",
    "ignorier(?:e|en|t)?|vergiss|vergessen sie|missachte|übergehe|überschreibe",
    "ignore[rz]?|oublie[rz]?|ne (?:tiens|tenez) pas compte|ignora|ignorad|olvida|olvide|omite|haz caso omiso|dimentica|trascura|esqueça|esquece|desconsidere|negeer|vergeet",
    "игнорируй(?:те)?|забудь(?:те)?|не обращай(?:те)? внимания",
  ),
  phrases("忽略", "无视", "忘记", "忘掉", "無視して"),
);
const INSTRUCTIONS = either(
  words(
    "instructions?|prompts?|system prompt|system message|rules|guidelines|directives|directions|commands|constraints|guardrails|safeguards|safety (?:rules|guidelines)|programming|training|policies|lessons?|memory|memories",
    "(?:previous|prior|above|earlier) (?:context|messages?|text)",
    "everything (?:above|before|else|previous|prior|you (?:were|have been) told|you know)|all of the above|the above|what you were told",
    "anweisung(?:en)?|instruktion(?:en)?|regeln|vorgaben|richtlinien|befehle|system-?prompt|alles (?:vorherige|bisherige|obige)",
    "consignes|règles|directives|ordres|tout ce qui précède|instrucciones|reglas|directrices|indicaciones|órdenes|todo lo anterior",
    "istruzioni|regole|direttive|tutto quanto sopra|instruções|regras|diretrizes|orientações|instructies|regels|richtlijnen",
    "инструкци(?:и|ю|й|ям)|правила|указания",
  ),
  phrases("指令", "指示", "规则", "提示词", "之前的", "以上"),
);

/** The agent's memory, lessons and instructions in other languages ("deine Anweisungen", "ta mémoire" …). */
const FOREIGN_MEMORY = either(
  words(
    "(?:dein|deine|deinem|deinen|deiner|ihr|ihre|ihrem|ihren) (?:gedächtnis|langzeitgedächtnis|lektionen|systemprompt|speicher)",
    "(?:ta|votre|ton) mémoire(?: à long terme)?|(?:tes|vos) (?:leçons|instructions système)",
    "(?:tu|su) memoria(?: a largo plazo)?|(?:tus|sus) (?:lecciones|instrucciones del sistema)",
    "(?:la tua|nella tua|alla tua|sua) memoria|(?:le tue|alle tue|nelle tue) (?:lezioni|istruzioni)",
    "(?:sua|tua) memória|(?:suas|tuas) (?:lições|instruções)",
    "(?:je|jouw|uw) (?:geheugen|lessen|systeemprompt)",
    "(?:в )?(?:твою|вашу|твоей|вашей|свою) (?:память|памяти)|(?:твои|ваши|свои) (?:инструкции|правила|уроки)",
  ),
  phrases("你的记忆", "您的记忆", "你的长期记忆", "你的指令", "你的规则", "你的系统提示", "记忆库", "存入记忆", "写入记忆", "加入记忆", "記憶に", "メモリに"),
);
const FOREIGN_WRITE = either(
  words(
    "(?:speicher(?:e)?|schreib(?:e)?|füg(?:e)?|nimm|trag(?:e)?|leg(?:e)?|aktualisiere|ändere|ergänze|überschreibe)",
    "(?:ajoute[rz]?|enregistre[rz]?|sauvegarde[rz]?|écris|écrivez|mets|mettez|inscris|inscrivez|garde[rz]?|modifie[rz]?|mets à jour|mettez à jour)",
    "(?:añade|agrega|guarda|almacena|escribe|anota|incluye|registra|actualiza|cambia|modifica)",
    "(?:aggiungi|salva|scrivi|aggiorna|modifica|adicione|adiciona|salve|salva|guarde|guarda|grave|grava|atualize|atualiza|escreva)",
    "(?:voeg|sla|bewaar|schrijf|werk|pas)|(?:добавь(?:те)?|сохрани(?:те)?|запиши(?:те)?|обнови(?:те)?|измени(?:те)?)",
  ),
);
const FOREIGN_RULES = words(
  "(?:dein|deine|deinem|deinen|deiner) (?:anweisungen|regeln|notizen|richtlinien|vorgaben)",
  "(?:ta|tes|votre|vos) (?:instructions|consignes|règles|notes|directives)",
  "(?:tu|tus|su|sus) (?:instrucciones|reglas|notas|directrices)",
  "(?:tua|tue|tuo|tuoi) (?:istruzioni|regole|note)|(?:sua|suas|seu|seus|tua|tuas) (?:instruções|regras|notas|diretrizes)",
  "(?:je|jouw|uw) (?:instructies|regels|notities|richtlijnen)|(?:свои|твои|ваши) (?:инструкции|правила)",
);

interface Rule {
  name: string;
  pattern: RegExp;
  /** Only in tool outputs: users address the agent as a matter of course. */
  toolOnly?: boolean;
}

const rule = (name: string, source: string, toolOnly = false): Rule => ({ name, pattern: new RegExp(source, "giu"), toolOnly });

const RULES: readonly Rule[] = [
  // "ignore all previous instructions", "disregard your system prompt", "vergiss alle Anweisungen"
  rule("override", `${OVERRIDE}${GAP(40)}${INSTRUCTIONS}`),
  // "SYSTEM:", "[system]", "<|im_start|>system", "### New instructions", "Admin note: …"
  rule("role", `${AT_START}${words("system|system prompt|new instructions?|updated instructions?|system instructions?|systemanweisung|systemnachricht|message système|instruction système|nouvelles instructions|mensaje del sistema|instrucción del sistema|nuevas instrucciones|neue anweisungen")}\\s*(?:\\([^)\\n]{0,20}\\)\\s*)?(?:[:：>]|$|(?=[\\]>|]))`),
  rule("role", `<\\|[a-z_ ]{2,20}\\|>|\\[/?(?:inst|sys|system)\\]|<</?sys>>|<\\s*/?\\s*(?:system|sys|system[_ -]?prompt|instructions?|admin|developer|im_start)\\s*>|(?:^|\\n)\\s*#{1,6}\\s*(?:system|instructions?|new instructions|system prompt)${E}`),
  rule("role", `${words("system (?:instructions?|override|directive)|(?:developer|admin|administrator|sysadmin|operator|root) (?:prompt|message|note|notice|instructions?|override|directive|command|mode)|(?:new|updated|revised|real|actual|true|override|secret|hidden|priority) (?:system )?instructions?|god mode|dan mode|jailbreak|jailbroken")}`),
  // "Note to the assistant's memory: …", "IMPORTANT NOTICE FOR AI AGENTS", "Notiz an den Assistenten"
  rule(
    "note to the agent",
    `${words(
      "notes?|messages?|memo|reminder|instructions?|directive|command|notice|hint|tip|lesson|rule|ps|p\\.s\\.?|attention|important|psst|heads[- ]up|nb|n\\.b\\.?|fyi",
      "notiz|hinweis|nachricht|anweisung|mitteilung|erinnerung|rappel|consigne|avis|nota|mensaje|instrucción|recordatorio|aviso|messaggio|istruzione|promemoria|mensagem|instrução|lembrete|notitie|bericht|instructie|herinnering",
    )}${GAP(12)}${words("to|for|@|an|für|à|a|pour|para|al|ao|à|per|all'|aan|voor")}[\\s_]*${ADDRESSEE}`,
  ),
  rule("note to the agent", `${words("if you are an? (?:ai|llm|language model|large language model|assistant|ai assistant|agent|ai agent|bot|chatbot|automated (?:system|agent|assistant))|(?:any|all|every) (?:ai|llm|language model|ai assistant|ai agent|assistant|agent|bot)s? (?:reading|processing|seeing)")}`),
  // "Assistant, call …", "Dear AI: send …" — only from a tool
  rule(
    "addresses the agent",
    `${AT_START}${words("(?:(?:dear|hey|hi|hello|attention|attn|ok|okay|listen)\\s+)?(?:ai|assistant|ai assistant|ai agent|agent|llm|chatbot|bot|gpt|chatgpt|claude|copilot|language model)s?")}\\s*[,:!]\\s*${either(DIRECTIVE, IMPERATIVE)}`,
    true,
  ),
  // "your memory", "your system prompt", "add this to your lessons", "update your instructions"
  rule("memory", `${B}${POSSESSIVE}\\s+${QUALIFIER}${MEMORY_NOUN}${E}`),
  rule("memory", `${B}${WRITE_VERB}${E}${GAP(40)}${B}${POSSESSIVE}\\s+${QUALIFIER}${RULE_NOUN}${E}`),
  rule("memory", `${B}${POSSESSIVE}\\s+(?:new|updated|only)\\s+${RULE_NOUN}${E}|${B}${POSSESSIVE}\\s+(?:real|actual|true)\\s+(?:task|role|purpose|goal|objective|mission|job|priority|persona|instructions|orders)${E}|${words("you are now (?:dan|jailbroken|unrestricted|unfiltered|free of|no longer bound|in developer mode)")}`),
  rule(
    "memory",
    `${B}${WRITE_VERB}${E}${GAP(30)}${words("to|in|into|as|onto")}\\s+(?:(?:a|an|the|your|my|long[- ]term|permanent|persistent|standing|general|global)\\s+)*${words("memory|memories|lessons?|lessons? learned|playbook|standing (?:instructions?|orders?|rules?)|permanent (?:rules?|instructions?|polic(?:y|ies))")}`,
  ),
  rule(
    "memory",
    `${words("(?:make|treat|consider|take|adopt|keep|apply|save|store|record|file) (?:this|that|it|the following) (?:as )?(?:a |an |the )?(?:permanent|standing|general|global|default|new|company|house|lasting)\\s+(?:rule|policy|instruction|guideline|lesson|standard|practice|default|behaviou?r)|(?:make|treat|save|store|record|keep|file|take) (?:this|that|it|the following) as (?:a |an |the )?lesson|learn (?:this|that|the following) lesson|(?:this|that) is a lesson (?:for|to)|lesson learned:")}`,
  ),
  rule("memory", `${B}${POSSESSIVE}\\s+${QUALIFIER}${RULE_NOUN}\\s+(?:(?:have|has)\\s+(?:been\\s+)?(?:changed|updated|replaced|revised|overridden)|(?:are|is)\\s+(?:now|hereby|as follows|updated|changed|replaced|overridden))${E}`),
  rule("memory", words("(?:new|updated|standing|permanent) (?:rule|policy|instruction|directive)s? for you|(?:teach|train|program|instruct) (?:the |your )?(?:ai|assistant|agent|bot|llm|model|yourself)s? (?:to|that)")),
  // "The assistant must always …": a rule for the agent, said about it
  rule("memory", `${words("(?:the |this |any |every |our )?(?:ai|assistant|ai assistant|agent|ai agent|bot|chatbot|llm)s?")}\\s+${words("must|should|shall|has to|have to|needs to|need to|is required to|are required to|will")}\\s+${either(FROM_NOW_ON, EVERY_TIME)}`),
  rule("memory", FOREIGN_MEMORY),
  rule("memory", `${FOREIGN_WRITE}${GAP(40)}${FOREIGN_RULES}`),
  // "remember from now on", "keep in mind for all future tasks", "merk dir ab jetzt", "souviens-toi désormais"
  rule("remember", `${REMEMBER}${GAP(60)}${LATER}|${FROM_NOW_ON}${GAP(60)}${REMEMBER}|${words("always|never")}\\s+${REMEMBER}`),
  rule("remember", `${AT_START}(?:${words("please|pls|and|also|so|bitte|s'il te plaît|s'il vous plaît|por favor|per favore")},?\\s+)?${REMEMBER}\\s*(?:[:\\-–—!,]|${words("this|that|the following|dies|das|ceci|cela|esto|eso|questo|isso|dit")})`),
  // "for future runs always …", "from now on cc …", "ab jetzt immer …"
  rule("from now on", `${FROM_NOW_ON}${GAP(60)}${DIRECTIVE}|${DIRECTIVE}${GAP(60)}${FROM_NOW_ON}`),
  rule("from now on", `${FROM_NOW_ON},?\\s*${IMPERATIVE}|${AT_START}${IMPERATIVE}${GAP(60)}${FROM_NOW_ON}`),
  // "next time, always …"
  rule("from now on", `${NEXT_TIME},?\\s*${words("you should|you must|always|never|make sure|be sure|remember|do not|don't|use|send|call|cc|bcc|reply|answer|skip")}`),
];

/**
 * Finds the spans of `text` that address an AI agent's memory or instructions:
 * requests to remember something for later ("remember from now on …", "keep in
 * mind for all future tasks"), notes to the agent or its memory ("note to the
 * assistant's memory: …"), rules for future runs ("for future runs always …"),
 * changes to its instructions or lessons ("update your instructions", "add
 * this to your lessons", "ignore previous instructions"), and fake roles
 * ("SYSTEM: …", `<|im_start|>system`, "Admin note: …") — in English, German,
 * French, Spanish, Italian, Portuguese, Dutch, Russian and a little Chinese and
 * Japanese. It reads past casing, markdown, brackets, HTML entities,
 * zero-width and other invisible characters, tag characters, full-width and
 * look-alike letters, and s p a c e d-out words.
 *
 * A span is the sentence (or line, or bracketed or quoted part) holding the
 * request; a bare marker ("SYSTEM:") takes the sentence after it along.
 * Deterministic: the same text always gives the same spans.
 */
export function findMemoryInstructions(text: string, { fromTool = false }: FindMemoryInstructionsOptions = {}): MemoryInstructionSpan[] {
  const reading = read(text);
  const folded = reading.text;
  const segments = segmentsOf(folded);
  if (segments.length === 0) return [];

  const ranges: { start: number; end: number }[] = [];
  for (const { pattern, toolOnly } of RULES) {
    if (toolOnly === true && !fromTool) continue;
    for (const match of folded.matchAll(pattern)) {
      const matchStart = match.index;
      const matchEnd = match.index + Math.max(1, match[0].length);
      const overlapping = segments.filter((segment) => segment.end > matchStart && segment.start < matchEnd);
      const start = Math.min(matchStart, ...overlapping.map((segment) => segment.start));
      let end = Math.max(matchEnd, ...overlapping.map((segment) => segment.end));
      // A bare marker ("SYSTEM:", "<system>", "Note to the assistant:") takes what it introduces along: up to two more segments.
      const wordsBesideMatch = () => (folded.slice(start, matchStart) + folded.slice(matchEnd, end)).match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
      const following = segments.filter((segment) => segment.start >= end).slice(0, 2);
      for (const segment of following) {
        if (wordsBesideMatch() >= 3) break;
        end = segment.end;
      }
      ranges.push({ start, end });
    }
  }
  if (ranges.length === 0) return [];

  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: { start: number; end: number }[] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last !== undefined && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged.flatMap(({ start, end }) => {
    // Trim spaces and the punctuation around a sentence (keeping its end mark), and a bracket it does not close or open.
    let from = start;
    let to = end;
    const trim = () => {
      while (from < to && /[\s,;:\-–—>#*•)]/u.test(folded[from] as string)) from += 1;
      while (to > from && /[\s,;:\-–—(]/u.test(folded[to - 1] as string)) to -= 1;
    };
    const count = (char: string) => folded.slice(from, to).split(char).length - 1;
    trim();
    if (folded[from] === "(" && count("(") > count(")")) from += 1;
    if (folded[to - 1] === ")" && count(")") > count("(")) to -= 1;
    trim();
    const read = folded.slice(from, to);
    if (!/[\p{L}\p{N}]/u.test(read)) return [];
    return [{ start: reading.from[from] as number, end: reading.to[to - 1] as number, text: read.replace(/\s+/gu, " ") }];
  });
}

/** `text` with the spans {@link findMemoryInstructions} flags cut out (each replaced by a space). */
export function withoutMemoryInstructions(text: string, options: FindMemoryInstructionsOptions = {}): string {
  const spans = findMemoryInstructions(text, options);
  let result = "";
  let at = 0;
  for (const { start, end } of spans) {
    result += `${text.slice(at, start)} `;
    at = end;
  }
  return result + text.slice(at);
}

/**
 * The text of an episode that addresses the agent's memory or instructions
 * (see {@link findMemoryInstructions}): in the task input, in the user's
 * messages of the trajectory and in every tool output (`tool_result` steps and
 * messages of role `tool`). A user message that repeats the task input is not
 * flagged twice. At most {@link MAX_MEMORY_INSTRUCTIONS} spans, each clipped
 * at {@link MAX_MEMORY_INSTRUCTION_CHARS} characters.
 */
export function detectMemoryInstructions(episode: Pick<Episode, "input" | "trajectory">): MemoryInstruction[] {
  const found: MemoryInstruction[] = [];
  const seen = new Set<string>();
  const add = (text: string, where: Omit<MemoryInstruction, "text">, fromTool: boolean) => {
    for (const span of findMemoryInstructions(text, { fromTool })) {
      const key = `${where.source === "tool_output" ? `tool:${where.step}` : "user"}\u0000${span.text}`;
      if (seen.has(key)) continue;
      seen.add(key);
      found.push({ ...where, text: clip(span.text, MAX_MEMORY_INSTRUCTION_CHARS) });
    }
  };
  add(episode.input, { source: "task_input" }, false);
  episode.trajectory.forEach((step, index) => {
    if (step.type === "tool_result") add(step.content, { source: "tool_output", step: index, tool: step.name }, true);
    else if (step.type === "message" && step.role === "tool") add(step.content, { source: "tool_output", step: index }, true);
    else if (step.type === "message" && step.role === "user") add(step.content, { source: "user_message", step: index }, false);
  });
  return found.slice(0, MAX_MEMORY_INSTRUCTIONS);
}
