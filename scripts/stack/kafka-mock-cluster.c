/*
 * Hosts librdkafka's mock Kafka cluster as a long-running local broker set for development and tests.
 *
 *   kafka-mock-cluster BROKERS BOOTSTRAP_FILE CONTROL_FIFO TOPIC:PARTITIONS...
 *
 * Creates the cluster with BROKERS brokers (replication factor min(3, BROKERS)), creates each topic, writes the
 * bootstrap address list to BOOTSTRAP_FILE (atomically, once everything is ready) and then serves until SIGTERM or
 * SIGINT. Fault injection for tests: write lines to CONTROL_FIFO —
 *   "down <brokerId>" / "up <brokerId>"   take a broker off the network and bring it back;
 *   "create <topic> <partitions>"         create a topic (tests use topics of their own).
 * Everything lives in memory: a restart loses all messages and offsets.
 */
#include <errno.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t running = 1;

static void stop(int signo) { (void)signo; running = 0; }

static void handle_command(rd_kafka_mock_cluster_t *cluster, int replication, char *line) {
    int broker = 0, partitions = 0;
    char topic[256];
    if (sscanf(line, "create %255s %d", topic, &partitions) == 2 && partitions > 0) {
        if (rd_kafka_mock_topic_create(cluster, topic, partitions, replication) != RD_KAFKA_RESP_ERR_NO_ERROR)
            fprintf(stderr, "kafka-mock-cluster: could not create topic %s\n", topic);
    } else if (sscanf(line, "down %d", &broker) == 1) {
        rd_kafka_mock_broker_set_down(cluster, broker);
        fprintf(stderr, "kafka-mock-cluster: broker %d down\n", broker);
    } else if (sscanf(line, "up %d", &broker) == 1) {
        rd_kafka_mock_broker_set_up(cluster, broker);
        fprintf(stderr, "kafka-mock-cluster: broker %d up\n", broker);
    } else if (line[0] != '\0') {
        fprintf(stderr, "kafka-mock-cluster: unknown command '%s'\n", line);
    }
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s BROKERS BOOTSTRAP_FILE CONTROL_FIFO TOPIC:PARTITIONS...\n", argv[0]);
        return 2;
    }
    int brokers = atoi(argv[1]);
    const char *bootstrap_file = argv[2];
    const char *control_fifo = argv[3];
    char errstr[512];

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", errstr); return 1; }
    rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(rk, brokers);
    if (!cluster) { fprintf(stderr, "rd_kafka_mock_cluster_new failed\n"); return 1; }

    int replication = brokers < 3 ? brokers : 3;
    for (int i = 4; i < argc; i++) {
        char topic[256];
        int partitions = 0;
        if (sscanf(argv[i], "%255[^:]:%d", topic, &partitions) != 2 || partitions < 1) {
            fprintf(stderr, "bad topic spec '%s' (want NAME:PARTITIONS)\n", argv[i]);
            return 2;
        }
        if (rd_kafka_mock_topic_create(cluster, topic, partitions, replication) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            fprintf(stderr, "could not create topic %s\n", topic);
            return 1;
        }
    }

    unlink(control_fifo);
    if (mkfifo(control_fifo, 0600) != 0) { perror("mkfifo"); return 1; }
    /* Opened read-write so the FIFO never reports EOF when a writer goes away. */
    int control = open(control_fifo, O_RDWR | O_NONBLOCK);
    if (control < 0) { perror("open control fifo"); return 1; }

    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", bootstrap_file);
    FILE *out = fopen(tmp, "w");
    if (!out) { perror("fopen bootstrap file"); return 1; }
    fprintf(out, "%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
    fclose(out);
    if (rename(tmp, bootstrap_file) != 0) { perror("rename bootstrap file"); return 1; }

    signal(SIGTERM, stop);
    signal(SIGINT, stop);
    fprintf(stderr, "kafka-mock-cluster: %d brokers at %s\n", brokers, rd_kafka_mock_cluster_bootstraps(cluster));

    char buffer[1024];
    size_t used = 0;
    while (running) {
        struct pollfd fd = {.fd = control, .events = POLLIN};
        if (poll(&fd, 1, 200) <= 0) continue;
        ssize_t n = read(control, buffer + used, sizeof(buffer) - 1 - used);
        if (n <= 0) continue;
        used += (size_t)n;
        buffer[used] = '\0';
        char *newline;
        while ((newline = strchr(buffer, '\n')) != NULL) {
            *newline = '\0';
            handle_command(cluster, replication, buffer);
            used -= (size_t)(newline + 1 - buffer);
            memmove(buffer, newline + 1, used + 1);
        }
        if (used == sizeof(buffer) - 1) used = 0; /* drop an overlong line */
    }

    unlink(control_fifo);
    unlink(bootstrap_file);
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(rk);
    return 0;
}
