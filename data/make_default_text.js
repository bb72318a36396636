/**
 * Writes data/default.txt, the text the `chars` task learns when no --text is given: short fables
 * generated from a small seeded grammar (original text, no copyright: free to ship and change).
 * Run: node data/make_default_text.js   (deterministic; the file is committed, nothing downloads)
 */
const fs = require('fs');
const path = require('path');
const seedrandom = require('seedrandom');

const rng = seedrandom('tfjs-rnn default text');
const pick = (xs) => xs[Math.floor(rng() * xs.length)];
const cap = (s) => s[0].toUpperCase() + s.slice(1);

const animals = ['fox', 'crow', 'hare', 'tortoise', 'lion', 'mouse', 'wolf', 'lamb', 'ant', 'grasshopper', 'goat', 'dog', 'cat', 'owl', 'frog', 'bear', 'stag', 'heron', 'bee', 'horse'];
const adjectives = ['old', 'young', 'clever', 'proud', 'hungry', 'patient', 'foolish', 'kind', 'small', 'quick', 'slow', 'wise', 'tired', 'brave', 'greedy', 'gentle'];
const places = ['by the river', 'in the forest', 'on the hill', 'near the farm', 'under the old oak', 'at the edge of the field', 'beside the well', 'in the meadow', 'on the road to the town', 'among the reeds'];
const times = ['One morning', 'Late one evening', 'In the middle of winter', 'On a hot summer day', 'Long ago', 'At the first light of day', 'When the harvest was in', 'After a week of rain'];
const things = ['a piece of cheese', 'a bunch of grapes', 'a bone', 'a basket of corn', 'a golden key', 'a drop of honey', 'a loaf of bread', 'a shining stone', 'a ripe apple', 'a warm coat'];
const verbsPast = ['saw', 'met', 'called to', 'laughed at', 'followed', 'waited for', 'watched', 'helped', 'asked', 'warned'];
const says = ['said', 'cried', 'answered', 'whispered', 'replied', 'called out'];
const morals = [
  'Slow and steady wins the race.',
  'Do not count your chickens before they are hatched.',
  'A kindness is never wasted.',
  'Look before you leap.',
  'Pride goes before a fall.',
  'It is wise to prepare today for the needs of tomorrow.',
  'Little friends may prove great friends.',
  'Those who flatter you want something from you.',
  'Union gives strength.',
  'Be content with what you have.',
  'Honesty is the best policy.',
  'Appearances are often deceiving.',
];
const speeches = [
  'what a fine day it is to be alive',
  'I shall never give up',
  'you will be sorry for this',
  'let us share what we have found',
  'I am faster than all of you',
  'please help me, for I cannot do it alone',
  'there is enough for both of us',
  'I will remember your kindness',
  'why do you work so hard when the sun is shining',
  'I know a better way across the water',
];

function np(a) {
  return `the ${pick(adjectives)} ${a}`;
}

function fable(n) {
  const a = pick(animals);
  let b = pick(animals);
  while (b === a) b = pick(animals);
  const lines = [];
  lines.push(`${n}. THE ${a.toUpperCase()} AND THE ${b.toUpperCase()}`);
  lines.push('');
  const s = [];
  s.push(`${pick(times)}, ${np(a)} was walking ${pick(places)} when it found ${pick(things)}.`);
  s.push(`It ${pick(verbsPast)} ${np(b)}, who was resting ${pick(places)}.`);
  s.push(`"${cap(pick(speeches))}," ${pick(says)} the ${a}.`);
  s.push(`"${cap(pick(speeches))}," ${pick(says)} the ${b}, and it ${pick(verbsPast)} the ${a} ${pick(places)}.`);
  if (rng() < 0.6) s.push(`The ${a} thought for a long time, but it did not know what to do with ${pick(things)}.`);
  if (rng() < 0.6) s.push(`So the ${b} ${pick(verbsPast)} the ${pick(adjectives)} ${pick(animals)}, and the day grew ${pick(['dark', 'cold', 'warm', 'still', 'long'])}.`);
  s.push(`In the end the ${pick([a, b])} ${pick(['learned a lesson', 'went home alone', 'was sorry', 'shared the food', 'was the winner', 'lost everything'])}.`);
  lines.push(s.join(' '));
  lines.push('');
  lines.push(`Moral: ${pick(morals)}`);
  lines.push('');
  lines.push('');
  return lines.join('\n');
}

let text = 'FABLES FOR A SMALL RECURRENT NETWORK\n\n\n';
for (let n = 1; text.length < 48000; n++) text += fable(n);
fs.writeFileSync(path.join(__dirname, 'default.txt'), text);
console.log(`wrote data/default.txt: ${text.length} characters`);
