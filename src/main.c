/* PLACEHOLDER: argument parsing and mode dispatch land with the core. */
int main(void)
{
    return 2;
}
