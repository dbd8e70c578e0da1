// KafkaProducer on kafkajs (kafka.client: kafkajs; the default is platformatic-producer.ts): the
// idempotent producer, acks=all, one request in flight.
import { CompressionTypes, Partitioners, type Kafka, type Message, type TopicMessages } from 'kafkajs';
import type { KafkaProducer, ProducerRecord } from './client';

export function kafkajsProducer(kafka: Kafka): KafkaProducer {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    async send(records, compression) {
      if (compression !== 'none' && compression !== 'gzip') throw new Error(`kafka.compression ${compression} needs kafka.client platformatic`);
      await producer.sendBatch({
        topicMessages: toTopicMessages(records),
        acks: -1,
        compression: compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      });
    },
  };
}

function toTopicMessages(records: ProducerRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    let msgs = byTopic.get(r.topic);
    if (!msgs) byTopic.set(r.topic, (msgs = []));
    msgs.push({ key: r.key, value: r.value });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
